using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using Narrative.Testing;
using OpenQA.Selenium;
using Xunit.Abstractions;

namespace Narrative.Web.Tests;

/// <summary>
/// The ratings picker over the seeded topic with two analysts: the page shows what the API answers for the analyst's
/// and the consensus view, colours the cells by the analysts' spread, and lets an analyst with a key edit their rating.
/// </summary>
public sealed class AnalystPickerTests(WebSession web, ITestOutputHelper output) : WebTest(web, output)
{
    private const string Topic = "putin-ceasefire-stance";
    private const string AsOf = "2024-05-31";

    [Fact]
    public async Task switching_the_analyst_picker_shows_that_analysts_and_the_consensus_assessment_and_a_key_makes_ones_own_cells_editable()
    {
        var doc = (await Api.GetFromJsonAsync<JsonObject>($"/api/topics/{Topic}/assessment?asOf={AsOf}"))!;
        var leader = doc["leading"]!.GetValue<string>();
        var other = doc["hypotheses"]!.AsArray().Select(h => h!["id"]!.GetValue<string>()).First(h => h != leader);
        var claims = doc["evidence"]!.AsArray().Where(e => e!["scored"]!.GetValue<bool>()).Select(e => e!["claim"]!.GetValue<string>()).ToList();
        var alice = await CreateAnalystAsync("alice", "Alice");
        var bob = await CreateAnalystAsync("bob", "Bob");
        await RateAsync(alice, claims.Select(c => (c, new JsonObject { [leader] = "II", [other] = "CC" })));
        await RateAsync(bob, claims.Take(4).Select(c => (c, new JsonObject { [leader] = "C", [other] = "I" })));
        await Server.CatchUpAsync();

        Browser.Driver.Navigate().GoToUrl(new Uri(Server.BaseAddress, $"/?topic={Topic}&asOf={AsOf}"));
        Browser.WaitFor(d => d.FindElement(By.Id("assessment")).GetDomAttribute("data-as-of") == AsOf, "the assessment", seconds: 30);
        Browser.WaitFor(d => d.FindElements(By.CssSelector("#ratings-view option[value='analyst:alice']")).Count == 1, "alice in the picker");

        foreach (var (choice, query, by) in new[] { ("analyst:alice", "analyst=alice", "alice"), ("consensus", "view=consensus", "consensus"), ("document", "", "document") })
        {
            var expected = (await Api.GetFromJsonAsync<JsonObject>($"/api/topics/{Topic}/assessment?asOf={AsOf}&{query}"))!;
            var rated = expected["evidence"]!.AsArray().Count(e => e!["ratingsBy"]!.GetValue<string>() == by);
            Pick(choice);
            Browser.WaitFor(d =>
                d.FindElement(By.Id("leading")).GetDomAttribute("data-hypothesis") == expected["leading"]?.GetValue<string>()
                && d.FindElements(By.CssSelector($"#matrix tbody tr[data-ratings-by='{by}']")).Count == rated, $"the {choice} view", seconds: 30);
            Assert.True(rated > 0);
        }
        Pick("analyst:alice");
        var mine = (await Api.GetFromJsonAsync<JsonObject>($"/api/topics/{Topic}/assessment?asOf={AsOf}&analyst=alice"))!["leading"]!.GetValue<string>();
        Assert.NotEqual(leader, mine);

        // The disagreement view: cells coloured by spread, the analysts' ratings on hover, and each analyst's leader.
        Browser.Find("#show-spread").Click();
        var disputed = Browser.WaitFor(d => d.FindElements(By.CssSelector($"#matrix td.r[data-spread='3']")).FirstOrDefault(), "a cell with spread 3");
        Assert.Contains("alice: II", disputed!.GetDomAttribute("title"));
        Assert.Contains("bob: C", disputed.GetDomAttribute("title"));
        Browser.WaitFor(d => d.FindElements(By.CssSelector("#disagreement li[data-analyst='alice']")).Count == 1, "alice's leader in the disagreement view");

        // With alice's key entered, her own cells are editable: one edit is a new rating event.
        Browser.Script("const k = document.getElementById('analyst-key'); k.value = arguments[0]; k.dispatchEvent(new Event('change'));", alice);
        Browser.WaitFor(d => d.FindElements(By.CssSelector("#matrix.editable")).Count == 1, "the editable matrix");
        var row = Browser.Driver.FindElements(By.CssSelector("#matrix tbody tr[data-ratings-by='alice']")).First();
        var item = row.GetDomAttribute("data-item-id")!;
        var column = Array.IndexOf(await HypothesisIdsAsync(), other);
        row.FindElements(By.CssSelector("td.r"))[column].Click();
        Browser.WaitFor(d => d.FindElements(By.CssSelector("[data-testid='rating-editor']")).Count == 1, "the rating editor");
        Browser.Script("const s = document.querySelector(\"[data-testid='rating-editor']\"); s.value = 'N'; s.dispatchEvent(new Event('change'));");
        Browser.WaitFor(d => d.FindElements(By.CssSelector($"#matrix tr[data-item-id='{item}'] td.r")).ElementAtOrDefault(column)?.Text == "N",
            "the edited cell", seconds: 30);
        var after = (await Api.GetFromJsonAsync<JsonObject>($"/api/topics/{Topic}/assessment?asOf={AsOf}&analyst=alice"))!;
        var edited = after["evidence"]!.AsArray().Single(e => e!["itemId"]!.GetValue<string>() == item)!;
        Assert.Equal("N", edited["ratings"]![other]!.GetValue<string>());
        Assert.Equal("II", edited["ratings"]![leader]!.GetValue<string>());
    }

    /// <summary>The matrix's columns: the topic's hypotheses in the order /api/topics gives them.</summary>
    private async Task<string[]> HypothesisIdsAsync()
    {
        var topic = (await Api.GetFromJsonAsync<JsonArray>("/api/topics"))!.Single(t => t!["id"]!.GetValue<string>() == Topic)!;
        return [.. topic["hypotheses"]!.AsArray().Select(h => h!["id"]!.GetValue<string>())];
    }

    private void Pick(string value) =>
        Browser.Script("const p = document.getElementById('ratings-view'); p.value = arguments[0]; p.dispatchEvent(new Event('change'));", value);

    private async Task<string> CreateAnalystAsync(string id, string name)
    {
        using var admin = Server.Client(ApiServer.AdminKey);
        using var r = await admin.PostAsync("/api/admin/analysts", new StringContent(new JsonObject { ["id"] = id, ["name"] = name }.ToJsonString(), Encoding.UTF8, "application/json"));
        Assert.True(r.IsSuccessStatusCode, await r.Content.ReadAsStringAsync());
        return (await r.Content.ReadFromJsonAsync<JsonObject>())!["key"]!.GetValue<string>();
    }

    private async Task RateAsync(string key, IEnumerable<(string Claim, JsonObject Ratings)> ratings)
    {
        using var client = Server.Client(key);
        var body = new JsonObject { ["ratings"] = new JsonArray([.. ratings.Select(r => (JsonNode)new JsonObject { ["claim"] = r.Claim, ["ratings"] = r.Ratings })]) };
        using var res = await client.PostAsync($"/api/topics/{Topic}/ratings", new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json"));
        Assert.True(res.IsSuccessStatusCode, await res.Content.ReadAsStringAsync());
    }
}
