using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using Narrative.Testing;
using OpenQA.Selenium;
using Xunit.Abstractions;

namespace Narrative.Web.Tests;

/// <summary>The capture panel: a matrix row whose document has a capture opens the page's main text with the quote marked.</summary>
public sealed class CapturePanelTests(WebSession web, ITestOutputHelper output) : WebTest(web, output)
{
    // A topic of its own, so that the seeded topic the other browser tests look at stays as seeded.
    private const string Topic = "capture-panel-check";
    private const string DocumentId = "web-capture-2024-03-05-river";

    private async Task<string> CaptureAndIngestAsync()
    {
        using var ingest = Server.Client(ApiServer.IngestKey);
        var topic = new JsonObject
        {
            ["id"] = Topic, ["title"] = "Capture panel check", ["period"] = new JsonObject { ["start"] = "2024-03-01", ["end"] = "2024-03-31" },
            ["hypotheses"] = new JsonArray(new[] { "genuine", "feigned", "maximalist" }
                .Select(h => (JsonNode)new JsonObject { ["id"] = h, ["label"] = h, ["description"] = "" }).ToArray()),
        };
        using (var t = await ingest.PostAsync("/api/topics", new StringContent(topic.ToJsonString(), Encoding.UTF8, "application/json")))
            Assert.True(t.IsSuccessStatusCode, await t.Content.ReadAsStringAsync());
        var page = new StringContent(TestPages.Html, Encoding.UTF8, "text/html");
        using var captured = await ingest.PostAsync($"/api/captures?url={Uri.EscapeDataString(TestPages.ArticleUrl)}&retrievedAt=2024-03-06T10:00:00Z", page);
        var id = (await captured.Content.ReadFromJsonAsync<JsonObject>())!["captureId"]!.GetValue<string>();
        var doc = new JsonObject
        {
            ["id"] = DocumentId, ["source"] = "bloomberg", ["publishedAt"] = "2024-03-05", ["title"] = "River talks",
            ["url"] = TestPages.ArticleUrl, ["authors"] = new JsonArray(), ["cites"] = new JsonArray(), ["captureId"] = id,
            ["items"] = new JsonArray(new JsonObject
            {
                ["id"] = $"{DocumentId}-bridges", ["topic"] = Topic, ["type"] = "signal", ["summary"] = "A former deputy minister hints at talks.",
                ["quote"] = TestPages.Quote, ["attributedTo"] = "a former deputy minister", ["credibility"] = 3,
                ["ratings"] = new JsonObject { ["genuine"] = "C", ["feigned"] = "C", ["maximalist"] = "I" }, ["rebuts"] = new JsonArray(),
            }),
        };
        using var r = await ingest.PostAsync("/api/documents", new StringContent(doc.ToJsonString(), Encoding.UTF8, "application/json"));
        Assert.True(r.IsSuccessStatusCode, await r.Content.ReadAsStringAsync());
        await Server.Services.WaitForProjectionsAsync(TimeSpan.FromSeconds(30), CancellationToken.None);
        return id;
    }

    [Fact]
    public async Task a_verified_quote_opens_the_capture_with_the_quote_marked_and_the_boilerplate_folded_away()
    {
        var id = await CaptureAndIngestAsync();
        using var api = Server.Client();
        var passage = (await api.GetFromJsonAsync<JsonObject>($"/api/captures/{id}/text?around={Uri.EscapeDataString(TestPages.Quote)}"))!;

        Browser.Driver.Navigate().GoToUrl(new Uri(Server.BaseAddress, $"/?topic={Topic}&asOf=2024-03-31"));
        var badge = Browser.WaitFor(d => d.FindElements(By.CssSelector($"#matrix tr[data-item-id='{DocumentId}-bridges'] [data-testid=quote-badge]")).FirstOrDefault(),
            "the quote badge of the captured document's row", 30);
        Assert.Equal("quote ✓", badge.Text);
        // Only the captured document has a capture, so only its row has a badge.
        Assert.Single(Browser.Driver.FindElements(By.CssSelector("#matrix [data-testid=quote-badge]")));
        Browser.Script("arguments[0].scrollIntoView({ block: 'center' });", badge);
        badge.Click();

        var mark = Browser.WaitFor(d => d.FindElements(By.CssSelector("#capture [data-testid=capture-text] mark.current")).FirstOrDefault(), "the marked quote");
        Assert.Equal(passage["match"]!.GetValue<string>(), mark.Text);
        var text = Browser.Find("#capture [data-testid=capture-text]").Text;
        Assert.Contains(TestPages.KeptSentence, text, StringComparison.Ordinal);
        Assert.DoesNotContain(TestPages.EssayMarker, text, StringComparison.Ordinal);

        var removed = Browser.Find("#capture [data-testid=capture-removed]");
        Assert.Null(removed.GetAttribute("open"));
        Assert.Contains(TestPages.EssayMarker, (string)Browser.Script("return arguments[0].textContent;", removed)!, StringComparison.Ordinal);
        Browser.Screenshot("capture-panel");
    }
}
