using System.Text.Json;
using Narrative.Testing;
using OpenQA.Selenium;
using Xunit.Abstractions;

namespace Narrative.Web.Tests;

/// <summary>The ACH method on the page: the judgments lane, coverage and unrated cells, and the signposts, each against the API's answer.</summary>
public sealed class MethodPageTests(WebSession web, ITestOutputHelper output) : WebTest(web, output)
{
    private const string Topic = "putin-ceasefire-stance";

    [Fact]
    public async Task the_page_shows_the_judgments_lane_coverage_unrated_cells_and_the_signposts_the_api_reports()
    {
        var (server, browser, api) = (Server, Browser, Api);
        // The signpost watcher records matches as the seeds arrive; wait until the API reports the seeded outcomes.
        JsonElement signposts = default;
        await Eventually(async () =>
        {
            await server.CatchUpAsync();
            signposts = Parse(await api.GetStringAsync($"/api/topics/{Topic}/signposts?asOf=2024-05-31")).GetProperty("signposts");
            return signposts.EnumerateArray().All(s => s.GetProperty("status").GetString() != "open");
        });
        // A hypothesis added now is unrated on every item: its cells show as unrated and it cannot lead.
        using (var ingest = server.Client(ApiServer.IngestKey))
        using (var r = await ingest.PostAsync($"/api/topics/{Topic}/hypotheses", new StringContent(
            """{ "reason": "test: a late hypothesis", "add": [ { "id": "late", "label": "Late" } ] }""", System.Text.Encoding.UTF8, "application/json")))
            Assert.True(r.IsSuccessStatusCode, await r.Content.ReadAsStringAsync());
        await server.CatchUpAsync();
        var a = Parse(await api.GetStringAsync($"/api/topics/{Topic}/assessment?asOf=2024-05-31"));

        browser.Driver.Navigate().GoToUrl(new Uri(server.BaseAddress, $"/?topic={Topic}&asOf=2024-05-31"));
        browser.WaitFor(d => d.FindElement(By.Id("assessment")).GetDomAttribute("data-as-of") == "2024-05-31"
            && d.FindElement(By.Id("assessment")).GetDomAttribute("aria-busy") == "false", "the assessment");

        var judgments = a.GetProperty("evidence").EnumerateArray().Count(e => e.GetProperty("lane").GetString() == "judgments");
        Assert.True(judgments > 0);
        Assert.Equal(judgments, browser.Driver.FindElements(By.CssSelector("#matrix tr[data-lane='judgments']")).Count);
        Assert.Single(browser.Driver.FindElements(By.CssSelector("#matrix [data-testid='judgments-lane']")));
        // Every judgment row comes after every evidence row.
        var lanes = browser.Driver.FindElements(By.CssSelector("#matrix tbody tr[data-lane]")).Select(r => r.GetDomAttribute("data-lane")).ToList();
        Assert.Equal(lanes.OrderBy(l => l == "judgments" ? 1 : 0), lanes);

        var coverage = browser.Driver.FindElements(By.CssSelector("#scores [data-testid='coverage']"));
        var hypotheses = a.GetProperty("hypotheses").EnumerateArray().ToList();
        Assert.Equal(hypotheses.Count, coverage.Count);
        Assert.Equal(hypotheses.Count(h => !h.GetProperty("canLead").GetBoolean()), coverage.Count(c => c.GetDomAttribute("data-can-lead") == "false"));
        Assert.Equal(a.GetProperty("evidence").GetArrayLength(), browser.Driver.FindElements(By.CssSelector("#matrix td[data-unrated='true']")).Count);
        Assert.Equal(hypotheses.Count(h => h.GetProperty("undisconfirmed").GetBoolean()), browser.Driver.FindElements(By.CssSelector("#scores .badge.undisconfirmed")).Count);

        browser.WaitFor(d => d.FindElements(By.CssSelector("#signposts-body tr[data-signpost]")).Count == signposts.GetArrayLength() ? true : (bool?)null, "the signposts");
        foreach (var s in signposts.EnumerateArray())
        {
            var row = browser.Find($"#signposts-body tr[data-signpost='{s.GetProperty("id").GetString()}']");
            Assert.Equal(s.GetProperty("status").GetString(), row.GetDomAttribute("data-status"));
        }
        browser.Screenshot("method-2024-05-31");
    }

    private static JsonElement Parse(string json)
    {
        using var doc = JsonDocument.Parse(json);
        return doc.RootElement.Clone();
    }

    private static async Task Eventually(Func<Task<bool>> done)
    {
        var until = DateTime.UtcNow.AddSeconds(60);
        while (!await done())
        {
            if (DateTime.UtcNow > until) throw new TimeoutException("the seeded signposts were not all decided within 60 s");
            await Task.Delay(100);
        }
    }
}
