using System.Text.Json;
using Narrative.Testing;
using OpenQA.Selenium;
using Xunit.Abstractions;

namespace Narrative.Web.Tests;

/// <summary>
/// The explorer page in headless Chromium against the real API over the seeded corpus. Each test compares what the
/// page shows with what the API answers for the same question, so a page showing the wrong numbers fails.
/// </summary>
public sealed class ExplorerPageTests(WebSession web, ITestOutputHelper output) : WebTest(web, output)
{
    private const string Topic = "putin-ceasefire-stance";
    private const string Claim = "putin-private-openness-to-freeze";

    [Fact]
    public async Task page_shows_the_apis_leading_hypothesis_and_evidence_count_for_the_date_typed_into_the_as_of_control()
    {
        Open("");
        SetAsOfDate("2023-12-23");

        var expected = await AssessmentAsync("2023-12-23");
        AssertPageShows(expected);
        Shot("asof-2023-12-23");
    }

    [Fact]
    public async Task moving_the_slider_to_the_end_of_the_period_redraws_the_assessment_for_2024_05_31()
    {
        Open("asOf=2023-12-23");
        WaitForAssessment("2023-12-23");
        var before = await AssessmentAsync("2023-12-23");
        AssertPageShows(before);

        Browser.Find("#asof-range").SendKeys(Keys.End);
        WaitForAssessment("2024-05-31");

        var after = await AssessmentAsync("2024-05-31");
        Assert.Equal("2024-05-31", Browser.Find("#asof").GetDomProperty("value"));
        Assert.NotEqual(EvidenceCount(before), EvidenceCount(after));
        AssertPageShows(after);
        Shot("asof-2024-05-31");
    }

    [Fact]
    public async Task the_matrix_marks_exactly_the_apis_linchpins_and_the_panel_shows_its_robustness()
    {
        // A topic of its own in which one claim carries the lead: "b" (II against h2) makes h1 lead; without it h2
        // would. The seeded topic has no linchpin at any date, so it could not show the marker.
        using var ingest = Server.Client(ApiServer.IngestKey);
        const string topic = "linchpin-check";
        using (var r = await ingest.PostAsync("/api/topics", Json(new
        {
            id = topic, title = "Linchpin check", period = new { start = "2024-01-01", end = "2024-01-31" },
            hypotheses = new[] { new { id = "h1", label = "First", description = "" }, new { id = "h2", label = "Second", description = "" } },
        }))) Assert.True(r.IsSuccessStatusCode, await r.Content.ReadAsStringAsync());
        object Item(string id, string h1, string h2) => new
        {
            id, topic, type = "report", claim = id, summary = "A report.", credibility = 3, ratings = new { h1, h2 }, rebuts = Array.Empty<string>(),
        };
        using (var r = await ingest.PostAsync("/api/documents", Json(new
        {
            id = "linchpin-check-doc", source = "nyt", publishedAt = "2024-01-10", title = "Two claims", cites = Array.Empty<string>(),
            items = new[] { Item("linchpin-check-a", "I", "C"), Item("linchpin-check-b", "C", "II") },
        }))) Assert.True(r.IsSuccessStatusCode, await r.Content.ReadAsStringAsync());
        // The read model follows the log asynchronously: wait until it holds both claims.
        JsonDocument expected;
        for (var until = DateTime.UtcNow.AddSeconds(30); ; await Task.Delay(100))
        {
            using var r = await Api.GetAsync($"/api/topics/{topic}/sensitivity?asOf=2024-01-31");
            if (r.IsSuccessStatusCode && (expected = JsonDocument.Parse(await r.Content.ReadAsStringAsync())).RootElement.GetProperty("claims").GetArrayLength() == 2) break;
            Assert.True(DateTime.UtcNow < until, $"the read model did not catch up: {(int)r.StatusCode}");
        }
        using var _ = expected;
        var linchpins = expected.RootElement.GetProperty("linchpins").EnumerateArray().Select(x => x.GetString()).ToHashSet();
        Assert.Equal(["linchpin-check-b"], linchpins);

        Open("asOf=2024-01-31", topic);
        Browser.WaitFor(d => d.FindElement(By.Id("assessment")).GetDomAttribute("data-as-of") == "2024-01-31"
            && d.FindElements(By.CssSelector("#matrix tbody tr[data-item-id]")).Count == 2, "the linchpin topic's matrix");

        foreach (var row in Browser.Driver.FindElements(By.CssSelector("#matrix tbody tr[data-item-id]")))
        {
            var claim = row.FindElement(By.CssSelector("a[data-claim]")).GetDomAttribute("data-claim");
            var marked = row.GetDomAttribute("data-linchpin") == "true";
            Assert.True(linchpins.Contains(claim) == marked, $"{claim}: marked {marked}");
            Assert.Equal(marked ? 1 : 0, row.FindElements(By.CssSelector(".badge.linchpin")).Count);
        }
        var flip = expected.RootElement.GetProperty("flipSet").GetProperty("origins").GetArrayLength();
        Assert.Equal(flip.ToString(System.Globalization.CultureInfo.InvariantCulture), Browser.Find("#robustness").GetDomAttribute("data-origins"));
        Assert.StartsWith($"{flip} origin", Browser.Find("#robustness").Text, StringComparison.Ordinal);
        Assert.Contains("Likelihood rests on 1 independent origin from 1 source", Browser.Find("#likelihood-basis").Text, StringComparison.Ordinal);
        Shot("linchpin");
    }

    private static StringContent Json(object body) => new(JsonSerializer.Serialize(body), System.Text.Encoding.UTF8, "application/json");

    [Fact]
    public async Task clicking_a_claim_opens_its_provenance_with_the_derivative_re_reports_marked()
    {
        Open("asOf=2024-05-31");
        WaitForAssessment("2024-05-31");

        var link = Browser.Find($"#matrix a[data-claim='{Claim}']");
        Browser.Script("arguments[0].scrollIntoView({ block: 'center' });", link);
        link.Click();

        using var doc = JsonDocument.Parse(await Api.GetStringAsync($"/api/claims/{Claim}/provenance?asOf=2024-05-31"));
        var appearances = doc.RootElement.GetProperty("appearances").EnumerateArray().ToList();
        Browser.WaitFor(d => d.FindElements(By.CssSelector("#provenance li[data-item-id]")).Count == appearances.Count,
            $"{appearances.Count} appearances in the provenance panel");

        var derivatives = appearances.Where(a => a.GetProperty("derivative").GetBoolean()).ToList();
        Assert.NotEmpty(derivatives);
        foreach (var a in appearances)
        {
            var row = Browser.Find($"#provenance li[data-item-id='{a.GetProperty("itemId").GetString()}']");
            Assert.Equal(a.GetProperty("documentId").GetString(), row.GetDomAttribute("data-document-id"));
            Assert.Contains(a.GetProperty("documentId").GetString()!, row.Text, StringComparison.Ordinal);
            if (a.GetProperty("derivative").GetBoolean())
            {
                Assert.Equal("true", row.GetDomAttribute("data-derivative"));
                Assert.Contains("derivative", row.Text, StringComparison.Ordinal);
                Assert.Contains(a.GetProperty("derivedFrom").GetString()!, row.Text, StringComparison.Ordinal);
            }
            else
            {
                Assert.Equal("false", row.GetDomAttribute("data-derivative"));
                Assert.Contains("independent origin", row.Text, StringComparison.Ordinal);
            }
        }
        Assert.Equal(doc.RootElement.GetProperty("independentOrigins").GetInt32().ToString(System.Globalization.CultureInfo.InvariantCulture),
            Browser.Find("#independent-origins").Text);
        Assert.Equal(doc.RootElement.GetProperty("firstAppearance").GetProperty("documentId").GetString(),
            Browser.Find("#first-appearance").GetDomAttribute("data-document-id"));
        Shot("provenance-" + Claim);
    }

    [Fact]
    public async Task audit_panel_reports_whether_the_events_behind_the_view_verify_and_the_alerts_indicator_settles()
    {
        Open("asOf=2024-05-31");
        WaitForAssessment("2024-05-31");

        using var doc = JsonDocument.Parse(await Api.GetStringAsync($"/api/topics/{Topic}/audit?asOf=2024-05-31"));
        var audit = doc.RootElement;
        Browser.WaitFor(d => d.FindElements(By.CssSelector("#audit-replay")).Count == 1, "the audit panel");
        Assert.Equal(Bool(audit.GetProperty("replayMatches")), Browser.Find("#audit-replay").GetDomAttribute("data-value"));
        Assert.Equal(Bool(audit.GetProperty("chainIntact")), Browser.Find("#audit-chain").GetDomAttribute("data-value"));
        Assert.Contains($"{audit.GetProperty("events").GetArrayLength()} events", Browser.Find("#audit").Text, StringComparison.Ordinal);

        // The alerts stream may not exist yet (404): the indicator must then say so instead of hanging on "connecting".
        var state = Browser.WaitFor(d => d.FindElement(By.Id("alerts-status")).GetDomAttribute("data-state") is "live" or "offline"
            ? d.FindElement(By.Id("alerts-status")).GetDomAttribute("data-state") : null, "the alerts indicator to settle");
        using var stream = await Api.GetAsync("/api/alerts/stream", HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal(stream.IsSuccessStatusCode ? "live" : "offline", state);
        Shot("audit-2024-05-31");
    }

    [Fact]
    public async Task timing_panel_and_milestone_ticks_show_the_apis_timing_test()
    {
        Open("asOf=2024-05-31");
        WaitForAssessment("2024-05-31");

        using var doc = JsonDocument.Parse(await Api.GetStringAsync($"/api/topics/{Topic}/timing?asOf=2024-05-31"));
        var timing = doc.RootElement;
        var reading = Browser.WaitFor(d => d.FindElements(By.CssSelector("#timing [data-testid='timing-reading']")).FirstOrDefault(), "the timing panel");
        Assert.Equal(timing.GetProperty("reading").GetString(), reading.Text);
        Assert.Equal($"{timing.GetProperty("t").GetInt32()} of {timing.GetProperty("n").GetInt32()} signals", Browser.Find("#timing [data-testid='timing-t']").Text);
        Assert.Equal(timing.GetProperty("power").GetDouble().ToString("0.00", System.Globalization.CultureInfo.InvariantCulture),
            Browser.Find("#timing [data-testid='timing-power']").Text);

        // Every milestone of the period is listed under the chart (and drawn as a tick), and each signal shows its distance.
        var milestones = timing.GetProperty("milestones").EnumerateArray().Select(m => m.GetProperty("id").GetString()).ToList();
        Assert.NotEmpty(milestones);
        Browser.WaitFor(d => d.FindElements(By.CssSelector("#chart-notes [data-milestone]")).Count == milestones.Count, $"{milestones.Count} milestone ticks");
        Assert.Equal(milestones, Browser.Driver.FindElements(By.CssSelector("#chart-notes [data-milestone]")).Select(e => e.GetDomAttribute("data-milestone")));
        foreach (var s in timing.GetProperty("signals").EnumerateArray().Where(s => s.GetProperty("nextMilestone").ValueKind == JsonValueKind.String))
        {
            var tag = Browser.Find($"#chart-notes [data-signal='{s.GetProperty("itemId").GetString()}']");
            Assert.Contains($"{s.GetProperty("daysToMilestone").GetInt32()} d before {s.GetProperty("nextMilestone").GetString()}", tag.Text, StringComparison.Ordinal);
        }
        Shot("timing-2024-05-31");
    }

    private static string Bool(JsonElement e) => e.GetBoolean() ? "true" : "false";

    private static int EvidenceCount(JsonElement assessment) => assessment.GetProperty("evidence").GetArrayLength();

    private void Open(string query, string topic = Topic)
    {
        Browser.Driver.Navigate().GoToUrl(new Uri(Server.BaseAddress, $"/?topic={topic}&{query}"));
    }

    private void SetAsOfDate(string date)
    {
        // A date input's typed format depends on the browser locale; set the value and fire the event a user's edit fires.
        Browser.WaitFor(d => d.FindElement(By.Id("topic")).Enabled, "the topic list");
        Browser.Script(
            "const el = document.getElementById('asof'); el.value = arguments[0]; el.dispatchEvent(new Event('change', { bubbles: true }));", date);
        WaitForAssessment(date);
    }

    private void WaitForAssessment(string date) =>
        Browser.WaitFor(d =>
        {
            var panel = d.FindElement(By.Id("assessment"));
            return panel.GetDomAttribute("data-as-of") == date && panel.GetDomAttribute("aria-busy") == "false";
        }, $"the assessment as of {date}");

    private async Task<JsonElement> AssessmentAsync(string date)
    {
        using var doc = JsonDocument.Parse(await Api.GetStringAsync($"/api/topics/{Topic}/assessment?asOf={date}"));
        return doc.RootElement.Clone();
    }

    private void AssertPageShows(JsonElement expected)
    {
        var leading = expected.GetProperty("leading").GetString()!;
        var label = expected.GetProperty("hypotheses").EnumerateArray().Single(h => h.GetProperty("id").GetString() == leading)
            .GetProperty("label").GetString()!;
        var shown = Browser.Find("#leading");
        Assert.Equal(leading, shown.GetDomAttribute("data-hypothesis"));
        Assert.Contains(label, shown.Text, StringComparison.Ordinal);
        Assert.Contains(leading, shown.Text, StringComparison.Ordinal);

        Assert.Equal(EvidenceCount(expected).ToString(System.Globalization.CultureInfo.InvariantCulture), Browser.Find("#evidence-count").Text);
        Assert.StartsWith(expected.GetProperty("likelihood").GetString()!, Browser.Find("#likelihood").Text, StringComparison.Ordinal);
        Assert.Equal(expected.GetProperty("confidence").GetString(), Browser.Find("#confidence").Text);

        var expectedItems = expected.GetProperty("evidence").EnumerateArray().Select(e => e.GetProperty("itemId").GetString()).Order().ToList();
        var shownItems = Browser.Driver.FindElements(By.CssSelector("#matrix tbody tr[data-item-id]"))
            .Select(r => r.GetDomAttribute("data-item-id")).Order().ToList();
        Assert.Equal(expectedItems, shownItems);
    }

    private void Shot(string name)
    {
        var path = Browser.Screenshot(name);
        Output.WriteLine($"screenshot: {path}");
        Console.WriteLine($"screenshot: {path}");
    }
}
