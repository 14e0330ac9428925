using System.Globalization;
using System.Text.Json.Nodes;
using Narrative.Testing;
using OpenQA.Selenium;
using OpenQA.Selenium.Interactions;
using Xunit.Abstractions;

namespace Narrative.Web.Tests;

/// <summary>
/// The chart card (cut at the as-of date, likelihood band, item lane and cards), the exports, the loading and error
/// states and the keyboard, each checked against what the API answers for the same question.
/// </summary>
public sealed class ExplorerViewTests(WebSession web, ITestOutputHelper output) : WebTest(web, output)
{
    private const string Topic = "putin-ceasefire-stance";

    [Fact]
    public async Task the_chart_draws_no_score_after_the_as_of_date_and_its_likelihood_band_ends_on_the_assessments_word_and_p()
    {
        Open("asOf=2024-01-31");
        WaitForView("2024-01-31");

        var colours = (await TopicAsync())["hypotheses"]!.AsArray().Select((_, i) => Palette[i % Palette.Length]).ToArray();
        var pixels = (IReadOnlyDictionary<string, object>)Browser.Script(CountSeriesPixels, string.Join(",", colours))!;
        var before = Convert.ToInt64(pixels["before"], CultureInfo.InvariantCulture);
        var after = Convert.ToInt64(pixels["after"], CultureInfo.InvariantCulture);
        Assert.True(before > 0, "the lines up to the as-of date are drawn");
        Assert.Equal(0, after);

        var assessment = await GetAsync($"/api/topics/{Topic}/assessment?asOf=2024-01-31");
        var band = JsonNode.Parse(Browser.Find("#likelihood-band").GetDomAttribute("data-last")!)!;
        Assert.Equal("2024-01-31", band["at"]!.GetValue<string>());
        Assert.Equal(assessment["likelihood"]!.GetValue<string>(), band["likelihood"]!.GetValue<string>());
        Assert.Equal(assessment["probability"]!.GetValue<double>(), band["probability"]!.GetValue<double>(), 9);
    }

    [Fact]
    public async Task every_item_known_at_the_as_of_date_has_a_marker_whose_card_shows_summary_quote_speaker_grade_and_article()
    {
        Open("asOf=2024-01-31");
        WaitForView("2024-01-31");
        var evidence = (await GetAsync($"/api/topics/{Topic}/assessment?asOf=2024-01-31"))["evidence"]!.AsArray()
            .ToDictionary(e => e!["itemId"]!.GetValue<string>(), e => e!.AsObject());

        // Read in one go: (type, items) of every marker.
        var markers = ((IEnumerable<object>)Browser.Script(
                "return [...document.querySelectorAll('#item-lane [data-testid=item-marker]')].map((m) => [m.dataset.type, m.dataset.items]);")!)
            .Cast<IReadOnlyList<object>>().Select(m => (Type: (string)m[0], Items: ((string)m[1]).Split(' '))).ToList();
        Assert.Equal(evidence.Keys.Order(StringComparer.Ordinal), markers.SelectMany(m => m.Items).Order(StringComparer.Ordinal));
        foreach (var (type, items) in markers)
            Assert.All(items, id => Assert.Equal(evidence[id]["type"]!.GetValue<string>(), type));

        // Bloomberg's signal of 25 January: hovering its marker opens its card.
        var marker = Browser.Find("#item-lane [data-testid=item-marker][data-type=signal][data-date='2024-01-25']");
        new Actions(Browser.Driver).MoveToElement(marker).Perform();
        await AssertCardShowsAsync(marker.GetDomAttribute("data-items")!.Split(' '), evidence);

        // The keyboard opens it too, and Escape closes it.
        var first = Browser.Find("#item-lane [data-testid=item-marker]");
        Browser.Script("arguments[0].focus();", first);
        Browser.WaitFor(d => d.FindElement(By.Id("item-card")).GetDomAttribute("data-items") == string.Join(' ', markers[0].Items)
            && d.FindElement(By.Id("item-card")).Displayed, "the focused marker's card");
        first.SendKeys(Keys.Escape);
        Browser.WaitFor(d => !d.FindElement(By.Id("item-card")).Displayed, "the card to close on Escape");
        Shot("item-card-2024-01-31");
    }

    [Fact]
    public async Task a_matrix_row_opens_the_same_card_as_its_marker()
    {
        const string item = "nyt-2023-12-23-backchannel";
        Open("asOf=2024-01-31");
        WaitForView("2024-01-31");
        var evidence = (await GetAsync($"/api/topics/{Topic}/assessment?asOf=2024-01-31"))["evidence"]!.AsArray()
            .ToDictionary(e => e!["itemId"]!.GetValue<string>(), e => e!.AsObject());

        var button = Browser.Find($"#matrix tr[data-item-id='{item}'] [data-testid=row-card]");
        Browser.Script("arguments[0].scrollIntoView({ block: 'center' });", button);
        button.Click();
        await AssertCardShowsAsync([item], evidence);
        Assert.Equal("true", Browser.Find("#item-card").GetDomAttribute("data-pinned"));
        Browser.Find("#item-card button.close").Click();
        Browser.WaitFor(d => !d.FindElement(By.Id("item-card")).Displayed, "the card to close");
    }

    [Fact]
    public async Task the_matrix_and_timeline_exports_hold_what_the_api_answers_and_the_png_is_an_image_of_the_chart()
    {
        var folder = Directory.CreateTempSubdirectory("narrative-exports-").FullName;
        try
        {
            Browser.DownloadTo(folder);
            Open("asOf=2024-01-31");
            WaitForView("2024-01-31");
            var assessment = await GetAsync($"/api/topics/{Topic}/assessment?asOf=2024-01-31");
            var timeline = await GetAsync($"/api/topics/{Topic}/timeline?from=2023-12-01&to=2024-01-31&step=day");
            var hypotheses = (await TopicAsync())["hypotheses"]!.AsArray().Select(h => h!["id"]!.GetValue<string>()).ToList();

            var matrixJson = JsonNode.Parse(await DownloadAsync(folder, "matrix-json", $"narrative-{Topic}-matrix-2024-01-31.json"))!;
            // The page's order: the evidence by date, then the judgments lane by date.
            var expectedRows = assessment["evidence"]!.AsArray()
                .OrderBy(e => e!["lane"]!.GetValue<string>() == "judgments" ? 1 : 0)
                .ThenBy(e => e!["publishedAt"]!.GetValue<string>(), StringComparer.Ordinal)
                .ThenBy(e => e!["itemId"]!.GetValue<string>(), StringComparer.Ordinal).ToList();
            Assert.Equal(expectedRows.Count, matrixJson["evidence"]!.AsArray().Count);
            foreach (var (expected, actual) in expectedRows.Zip(matrixJson["evidence"]!.AsArray()))
                Assert.True(JsonNode.DeepEquals(expected, actual), $"{expected!["itemId"]}: {actual}");
            Assert.Equal(assessment["leading"]!.GetValue<string>(), matrixJson["leading"]!.GetValue<string>());

            var matrixCsv = Csv(await DownloadAsync(folder, "matrix-csv", $"narrative-{Topic}-matrix-2024-01-31.csv"));
            Assert.Equal(["publishedAt", "itemId", "documentId", "source", "reliability", "credibility", "type", "claim", .. hypotheses,
                "diagnosticity", "scored", "derivative", "derivedFrom", "contested", "contestedBy"], matrixCsv[0]);
            Assert.Equal(expectedRows.Count, matrixCsv.Count - 1);
            foreach (var (expected, row) in expectedRows.Zip(matrixCsv.Skip(1)))
            {
                Assert.Equal(expected!["itemId"]!.GetValue<string>(), row[1]);
                Assert.Equal(expected["credibility"]!.GetValue<int>().ToString(CultureInfo.InvariantCulture), row[5]);
                Assert.Equal(hypotheses.Select(h => expected["ratings"]![h]?.GetValue<string>() ?? ""), row.Skip(8).Take(hypotheses.Count));
            }

            var timelineJson = JsonNode.Parse(await DownloadAsync(folder, "timeline-json", $"narrative-{Topic}-timeline-2024-01-31.json"))!;
            Assert.Equal("2024-01-31", timelineJson["to"]!.GetValue<string>());
            Assert.True(JsonNode.DeepEquals(timeline["points"], timelineJson["points"]), "the exported points are the API's points up to the as-of date");

            var timelineCsv = Csv(await DownloadAsync(folder, "timeline-csv", $"narrative-{Topic}-timeline-2024-01-31.csv"));
            var points = timeline["points"]!.AsArray();
            Assert.Equal(points.Count, timelineCsv.Count - 1);
            foreach (var (p, row) in points.Zip(timelineCsv.Skip(1)))
            {
                Assert.Equal(p!["at"]!.GetValue<string>(), row[0]);
                Assert.Equal(p["leading"]?.GetValue<string>() ?? "", row[1]);
                Assert.Equal(p["likelihood"]!.GetValue<string>(), row[2]);
            }

            var png = await File.ReadAllBytesAsync(await WaitForFileAsync(folder, $"narrative-{Topic}-chart-2024-01-31.png", "chart-png"));
            Assert.Equal([0x89, (byte)'P', (byte)'N', (byte)'G'], png.Take(4));
            var width = (png[16] << 24) | (png[17] << 16) | (png[18] << 8) | png[19];
            var height = (png[20] << 24) | (png[21] << 16) | (png[22] << 8) | png[23];
            var chartWidth = Convert.ToInt32(Browser.Script("return document.querySelector('#chart canvas').width;"), CultureInfo.InvariantCulture);
            Assert.Equal(chartWidth, width);
            Assert.True(height > Convert.ToInt32(Browser.Script("return document.querySelector('#chart canvas').height;"), CultureInfo.InvariantCulture));
            File.Copy(Path.Combine(folder, $"narrative-{Topic}-chart-2024-01-31.png"), Path.Combine(Browser.ScreenshotFolder(), "export-chart-2024-01-31.png"), true);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public async Task a_card_says_loading_until_its_answer_arrives_and_shows_the_apis_problem_title_when_its_request_fails()
    {
        // Before the page's scripts: hold the timeline request until released, and send the audit a date that does not exist.
        var hook = Browser.AddInitScript("""
            (() => {
              const real = window.fetch.bind(window);
              let release;
              const held = new Promise((r) => { release = r; });
              window.__releaseTimeline = () => release();
              window.fetch = (input, init) => {
                const url = typeof input === "string" ? input : input.url;
                if (url.includes("/timeline")) return held.then(() => real(input, init));
                if (url.includes("/audit")) return real(url.replace(/asOf=[^&]*/, "asOf=2024-02-30"), init);
                return real(input, init);
              };
            })();
            """);
        try
        {
            Open("asOf=2024-01-31");
            WaitForAssessment("2024-01-31");
            var chartCard = Browser.Find("#chart-card");
            Assert.Equal("loading", chartCard.GetDomAttribute("data-state"));
            Assert.Equal("true", chartCard.GetDomAttribute("aria-busy"));
            Assert.Equal("loading…", Browser.Find("#chart-card [data-testid=card-status]").Text);
            Shot("loading-chart");

            using var bad = await Api.GetAsync($"/api/topics/{Topic}/audit?asOf=2024-02-30");
            var problem = JsonNode.Parse(await bad.Content.ReadAsStringAsync())!;
            Browser.WaitFor(d => d.FindElement(By.Id("audit")).GetDomAttribute("data-state") == "error", "the audit card's error");
            var error = Browser.Find("#audit [data-testid=error]").Text;
            Assert.Contains(problem["title"]!.GetValue<string>(), error, StringComparison.Ordinal);
            Assert.Contains(problem["detail"]!.GetValue<string>(), error, StringComparison.Ordinal);

            Browser.Script("window.__releaseTimeline();");
            Browser.WaitFor(d => d.FindElement(By.Id("chart-card")).GetDomAttribute("data-state") == "ready", "the chart after its answer");
            Assert.Equal("", Browser.Find("#chart-card [data-testid=card-status]").Text);
            Assert.NotEmpty(Browser.Driver.FindElements(By.CssSelector("#chart canvas")));
        }
        finally
        {
            Browser.RemoveInitScript(hook);
        }
    }

    [Fact]
    public void the_as_of_slider_steps_by_a_day_with_the_arrows_a_week_with_page_keys_and_jumps_with_home_and_end()
    {
        Open("asOf=2024-01-31");
        WaitForView("2024-01-31");
        var range = Browser.Find("#asof-range");
        Assert.Contains("As of", (string)Browser.Script("return arguments[0].labels[0].textContent;", range)!, StringComparison.Ordinal);
        Assert.NotEmpty(Browser.Find($"#{range.GetDomAttribute("aria-describedby")}").GetDomProperty("textContent")!);

        foreach (var (key, date) in new[] { (Keys.ArrowLeft, "2024-01-30"), (Keys.ArrowRight, "2024-01-31"), (Keys.PageUp, "2024-02-07"),
            (Keys.PageDown, "2024-01-31"), (Keys.Home, "2023-12-01"), (Keys.End, "2024-05-31") })
        {
            range.SendKeys(key);
            WaitForAssessment(date);
            Assert.Equal(date, Browser.Find("#asof").GetDomProperty("value"));
            Assert.Equal(date, range.GetDomAttribute("aria-valuetext"));
        }
        Assert.Equal(true, Browser.Script("return document.activeElement === arguments[0] && arguments[0].matches(':focus-visible') && getComputedStyle(arguments[0]).outlineStyle !== 'none';", range));
    }

    [Fact]
    public async Task the_page_has_a_favicon_of_its_own_and_no_inline_script_style_or_handler()
    {
        Open("asOf=2024-01-31");
        var href = Browser.Find("link[rel=icon]").GetDomProperty("href")!;
        Assert.StartsWith(Server.BaseAddress.ToString(), href, StringComparison.Ordinal);
        using var icon = await Api.GetAsync(new Uri(href));
        Assert.True(icon.IsSuccessStatusCode);
        Assert.Equal("image/svg+xml", icon.Content.Headers.ContentType?.MediaType);

        // A strict content security policy will forbid inline code and other origins.
        var html = await Api.GetStringAsync("/");
        Assert.DoesNotMatch(@"<script(?![^>]*\ssrc=)[^>]*>", html);
        Assert.DoesNotMatch(@"\son[a-z]+\s*=", html);
        Assert.DoesNotMatch(@"\sstyle\s*=", html);
        Assert.DoesNotMatch(@"(src|href)=""(https?:)?//", html);
    }

    [Fact]
    public async Task the_page_fits_1280_by_800_and_1920_by_1080_at_three_dates_and_leaves_screenshots_to_look_at()
    {
        try
        {
            foreach (var (date, width, height) in new[] { ("2023-12-23", 1280, 800), ("2024-01-31", 1280, 800), ("2024-05-31", 1280, 800), ("2024-01-31", 1920, 1080) })
            {
                Browser.Viewport(width, height);
                Open($"asOf={date}");
                WaitForView(date);
                var evidence = (await GetAsync($"/api/topics/{Topic}/assessment?asOf={date}"))["evidence"]!.AsArray().Count;
                Assert.Equal(evidence.ToString(CultureInfo.InvariantCulture), Browser.Find("#evidence-count").Text);
                Assert.Equal(true, Browser.Script("return document.documentElement.scrollWidth <= window.innerWidth;"));
                Shot($"explorer-{date}-{width}x{height}", viewportOnly: true);
                Shot($"explorer-{date}-{width}x{height}-full");
            }
        }
        finally
        {
            Browser.DefaultViewport();
        }
    }

    // The page's hypothesis colours (js/core.js), for telling a score line from everything else on the canvas.
    private static readonly string[] Palette = ["#2563eb", "#dc2626", "#059669", "#9333ea", "#d97706", "#0891b2"];

    private const string CountSeriesPixels = """
        const chart = document.getElementById("chart");
        const canvas = chart.querySelector("canvas");
        const cut = Number(chart.dataset.cutX) * devicePixelRatio;
        const data = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height).data;
        const colours = arguments[0].split(",").map((c) => [1, 3, 5].map((i) => parseInt(c.slice(i, i + 2), 16)));
        let before = 0, after = 0;
        for (let y = 0; y < canvas.height; y++) for (let x = 0; x < canvas.width; x++) {
          const i = (y * canvas.width + x) * 4;
          if (data[i + 3] < 200) continue;
          if (!colours.some((c) => Math.abs(c[0] - data[i]) < 20 && Math.abs(c[1] - data[i + 1]) < 20 && Math.abs(c[2] - data[i + 2]) < 20)) continue;
          if (x < cut - 6) before++; else if (x > cut + 6) after++;
        }
        return { before, after };
        """;

    private async Task AssertCardShowsAsync(IReadOnlyList<string> items, Dictionary<string, JsonObject> evidence)
    {
        var card = Browser.WaitFor(d => d.FindElement(By.Id("item-card")) is { Displayed: true } c
            && c.FindElements(By.CssSelector("[data-testid=card-summary]")).Count == items.Count ? c : null, "the item card with its text");
        Assert.Equal(string.Join(' ', items), card.GetDomAttribute("data-items"));
        foreach (var id in items)
        {
            var e = evidence[id];
            var doc = await GetAsync($"/api/documents/{e["documentId"]!.GetValue<string>()}");
            var item = doc["items"]!.AsArray().Single(x => x!["itemId"]!.GetValue<string>() == id)!;
            var article = card.FindElement(By.CssSelector($"article[data-item-id='{id}']"));
            Assert.Equal(item["summary"]!.GetValue<string>(), article.FindElement(By.CssSelector("[data-testid=card-summary]")).Text);
            if (item["quote"]?.GetValue<string>() is { } quote)
                Assert.Contains(quote, article.FindElement(By.CssSelector("[data-testid=card-quote]")).Text, StringComparison.Ordinal);
            if (item["attributedTo"]?.GetValue<string>() is { } speaker)
                Assert.Contains(speaker, article.FindElement(By.CssSelector("[data-testid=card-speaker]")).Text, StringComparison.Ordinal);
            Assert.Equal($"{e["reliability"]!.GetValue<string>()}{e["credibility"]!.GetValue<int>()}", article.FindElement(By.CssSelector("[data-testid=card-grade]")).Text);
            var link = article.FindElement(By.CssSelector("[data-testid=card-link]"));
            if (doc["url"]?.GetValue<string>() is { } url) Assert.Equal(url, link.GetDomAttribute("href"));
            Assert.Contains(doc["title"]!.GetValue<string>(), link.Text, StringComparison.Ordinal);
        }
    }

    private async Task<string> DownloadAsync(string folder, string export, string file) =>
        await File.ReadAllTextAsync(await WaitForFileAsync(folder, file, export));

    private Task<string> WaitForFileAsync(string folder, string file, string export)
    {
        var path = Path.Combine(folder, file);
        if (!File.Exists(path))
        {
            // Below the sticky header, where a click reaches it.
            var button = Browser.Find($"[data-testid=export-{export}]");
            Browser.Script("arguments[0].scrollIntoView({ block: 'center' });", button);
            button.Click();
        }
        // Chromium writes a .crdownload first and renames it when the download is complete.
        Browser.WaitFor(_ => File.Exists(path) && new FileInfo(path).Length > 0, $"the download {file}");
        return Task.FromResult(path);
    }

    /// <summary>RFC 4180 rows (quoted fields may hold commas, quotes and line breaks).</summary>
    private static List<List<string>> Csv(string text)
    {
        var rows = new List<List<string>>();
        var row = new List<string>();
        var field = new System.Text.StringBuilder();
        var quoted = false;
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (quoted)
            {
                if (c == '"' && i + 1 < text.Length && text[i + 1] == '"') { field.Append('"'); i++; }
                else if (c == '"') quoted = false;
                else field.Append(c);
            }
            else if (c == '"') quoted = true;
            else if (c == ',') { row.Add(field.ToString()); field.Clear(); }
            else if (c == '\n') { row.Add(field.ToString()); field.Clear(); rows.Add(row); row = []; }
            else if (c != '\r') field.Append(c);
        }
        if (field.Length > 0 || row.Count > 0) { row.Add(field.ToString()); rows.Add(row); }
        return rows;
    }

    private async Task<JsonObject> GetAsync(string url) => JsonNode.Parse(await Api.GetStringAsync(url))!.AsObject();

    private async Task<JsonObject> TopicAsync() =>
        JsonNode.Parse(await Api.GetStringAsync("/api/topics"))!.AsArray().Single(t => t!["id"]!.GetValue<string>() == Topic)!.AsObject();

    private void Open(string query) => Browser.Driver.Navigate().GoToUrl(new Uri(Server.BaseAddress, $"/?topic={Topic}&{query}"));

    private void WaitForAssessment(string date) =>
        Browser.WaitFor(d =>
        {
            var panel = d.FindElement(By.Id("assessment"));
            return panel.GetDomAttribute("data-as-of") == date && panel.GetDomAttribute("aria-busy") == "false";
        }, $"the assessment as of {date}");

    /// <summary>The assessment, the chart cut at the date and the item lane drawn for it.</summary>
    private void WaitForView(string date)
    {
        WaitForAssessment(date);
        Browser.WaitFor(d => d.FindElement(By.Id("chart-card")).GetDomAttribute("data-state") == "ready"
            && d.FindElement(By.Id("chart")).GetDomAttribute("data-as-of") == date
            && d.FindElements(By.CssSelector("#item-lane [data-testid=item-marker], #item-lane .lane-empty")).Count > 0, $"the chart as of {date}");
    }

    private void Shot(string name, bool viewportOnly = false)
    {
        var path = Browser.Screenshot(name, viewportOnly);
        Output.WriteLine($"screenshot: {path}");
        Console.WriteLine($"screenshot: {path}");
    }
}
