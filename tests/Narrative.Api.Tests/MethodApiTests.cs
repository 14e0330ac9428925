using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using Narrative.Testing;

namespace Narrative.Api.Tests;

/// <summary>The ACH method over HTTP: revisions, regrades, the judgments switch and signposts, on a small topic of their own.</summary>
[Collection(PostgresCollection.Name)]
public sealed class MethodApiTests(PostgresFixture pg) : IAsyncLifetime
{
    private const string Topic = "method-stance";
    private ApiServer _server = null!;
    private HttpClient _ingest = null!;
    private HttpClient _read = null!;

    public async Task InitializeAsync()
    {
        // Seeded, as the other API tests start: an empty store does not report ready. The topic here is its own.
        _server = await ApiServer.StartAsync(pg, ApiServer.SeedsFolder());
        _ingest = _server.Client(ApiServer.IngestKey);
        _read = _server.Client();
        await Post("/api/sources", """{ "id": "paper", "name": "Paper", "kind": "newspaper", "reliability": "B" }""", HttpStatusCode.Created);
        await Post("/api/sources", """{ "id": "party", "name": "Party", "kind": "government", "reliability": "E" }""", HttpStatusCode.Created);
        await Post("/api/topics", $$"""
            { "id": "{{Topic}}", "title": "Stance", "period": { "start": "2024-01-01", "end": "2024-12-31" },
              "hypotheses": [ { "id": "genuine", "label": "Genuine" }, { "id": "feigned", "label": "Feigned" } ] }
            """, HttpStatusCode.Created);
        await Post("/api/documents", $$"""
            { "id": "paper-2024-02-01", "source": "paper", "publishedAt": "2024-02-01", "title": "T", "authors": [], "cites": [],
              "items": [
                { "id": "said", "topic": "{{Topic}}", "type": "statement", "summary": "The party said it.", "speaker": "party", "credibility": 1,
                  "ratings": { "genuine": "I", "feigned": "C" }, "rebuts": [] },
                { "id": "judged", "topic": "{{Topic}}", "type": "assessment", "summary": "An analyst judged it.", "credibility": 3,
                  "ratings": { "genuine": "C", "feigned": "II" }, "rebuts": [] } ] }
            """, HttpStatusCode.Created);
        await _server.CatchUpAsync();
    }

    public async Task DisposeAsync()
    {
        _ingest.Dispose();
        _read.Dispose();
        await _server.DisposeAsync();
    }

    [Fact]
    public async Task judgments_sit_in_their_lane_and_are_scored_only_when_asked()
    {
        var plain = await Json($"/api/topics/{Topic}/assessment?asOf=2024-03-01");
        var included = await Json($"/api/topics/{Topic}/assessment?asOf=2024-03-01&judgments=include");

        // Without the judgment feigned has nothing against it (and no observation disconfirms it); with it, II at √2.
        Assert.Equal(("feigned", "exclude"), (plain["leading"]!.GetValue<string>(), plain["judgments"]!.GetValue<string>()));
        Assert.True(Hypothesis(plain, "feigned")["undisconfirmed"]!.GetValue<bool>());
        Assert.Equal(("genuine", Math.Round(2 * Math.Sqrt(2), 9)), (included["leading"]!.GetValue<string>(), Math.Round(Hypothesis(included, "feigned")["weightedInconsistency"]!.GetValue<double>(), 9)));
        var judged = plain["evidence"]!.AsArray().Single(e => e!["itemId"]!.GetValue<string>() == "judged")!;
        Assert.Equal(("judgments", false), (judged["lane"]!.GetValue<string>(), judged["scored"]!.GetValue<bool>()));
        foreach (var route in new[] { "assessment", "sensitivity", "timeline?from=2024-01-01&to=2024-03-01&step=week", "changes?from=2024-01-01&to=2024-03-01" })
            Assert.Equal("include", (await Json($"/api/topics/{Topic}/{route}{(route.Contains('?') ? '&' : '?')}judgments=include"))["judgments"]!.GetValue<string>());
        using var bad = await _read.GetAsync($"/api/topics/{Topic}/assessment?judgments=maybe");
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        Assert.Contains("judgments", await bad.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task a_revision_adds_an_unrated_hypothesis_that_cannot_lead_and_leaves_earlier_answers_byte_identical()
    {
        var knownBefore = DateTimeOffset.UtcNow;
        var url = $"/api/topics/{Topic}/assessment?asOf=2024-03-01&knownAt={Uri.EscapeDataString(knownBefore.ToString("O"))}";
        var before = await _read.GetStringAsync(url);

        await Post($"/api/topics/{Topic}/hypotheses", """{ "reason": "no field", "add": [ { "id": "late" } ] }""", HttpStatusCode.BadRequest, "add[0].label");
        await Post($"/api/topics/{Topic}/hypotheses", """{ "reason": "a conditional reading", "add": [ { "id": "late", "label": "Late" } ] }""", HttpStatusCode.Created);
        await Post($"/api/topics/{Topic}/hypotheses", """{ "reason": "a conditional reading", "add": [ { "id": "late", "label": "Late" } ] }""", HttpStatusCode.OK);
        await _server.CatchUpAsync();

        Assert.Equal(before, await _read.GetStringAsync(url));
        var now = await Json($"/api/topics/{Topic}/assessment?asOf=2024-03-01");
        var late = Hypothesis(now, "late");
        // Never rated: nothing against it, coverage 0, so it cannot lead.
        Assert.Equal((0.0, 0.0, false), (late["weightedInconsistency"]!.GetValue<double>(), late["coverage"]!.GetValue<double>(), late["canLead"]!.GetValue<bool>()));
        Assert.Equal("feigned", now["leading"]!.GetValue<string>());
        Assert.Contains("late", now["evidence"]!.AsArray().First()!["unrated"]!.AsArray().Select(x => x!.GetValue<string>()));
        var changes = await Json($"/api/topics/{Topic}/changes?asOf=2024-03-01&knownFrom={Uri.EscapeDataString(knownBefore.ToString("O"))}");
        Assert.Equal("a conditional reading", changes["revisions"]!.AsArray().Single()!["reason"]!.GetValue<string>());
        Assert.Empty(changes["rerated"]!.AsArray());
    }

    [Fact]
    public async Task a_regrade_is_an_event_that_reweighs_what_the_source_spoke_and_leaves_earlier_answers_byte_identical()
    {
        var knownBefore = DateTimeOffset.UtcNow;
        var url = $"/api/topics/{Topic}/assessment?asOf=2024-03-01&knownAt={Uri.EscapeDataString(knownBefore.ToString("O"))}";
        var before = await _read.GetStringAsync(url);

        await Post("/api/sources", """{ "id": "party", "name": "Party", "kind": "government", "reliability": "B" }""", HttpStatusCode.BadRequest, "reason");
        await Post("/api/sources", """{ "id": "party", "name": "Party", "kind": "government", "reliability": "B", "reason": "its statements held up" }""", HttpStatusCode.Created);
        await Post("/api/sources", """{ "id": "party", "name": "Party", "kind": "government", "reliability": "B", "reason": "its statements held up" }""", HttpStatusCode.OK);
        await _server.CatchUpAsync();

        Assert.Equal(before, await _read.GetStringAsync(url));
        static double WeightOf(JsonObject a) => a["evidence"]!.AsArray().Single(e => e!["itemId"]!.GetValue<string>() == "said")!["weight"]!.GetValue<double>();
        // B carrier, credibility 1, speaker E → B: √2 × √2 × ½ = 1, then × 1 = 2.
        Assert.Equal(1.0, WeightOf(await Json(url)), 6);
        Assert.Equal(2.0, WeightOf(await Json($"/api/topics/{Topic}/assessment?asOf=2024-03-01")), 6);
    }

    [Fact]
    public async Task a_signpost_is_set_matched_by_a_new_document_and_reported_at_each_point_in_time()
    {
        await Post($"/api/topics/{Topic}/signposts", """{ "id": "s1", "hypothesis": "nope", "description": "d", "expect": "present", "match": { "types": ["signal"] }, "from": "2024-03-01", "deadline": "2024-06-01" }""",
            HttpStatusCode.BadRequest, "hypothesis");
        await Post($"/api/topics/{Topic}/signposts", """{ "id": "s1", "hypothesis": "feigned", "description": "d", "expect": "present", "match": { "types": ["signal"] }, "from": "2024-03-01", "deadline": "2024-06-01" }""",
            HttpStatusCode.Created);
        await Post($"/api/topics/{Topic}/signposts", """{ "id": "s1", "hypothesis": "genuine", "description": "d", "expect": "present", "match": { "types": ["signal"] }, "from": "2024-03-01", "deadline": "2024-06-01" }""",
            HttpStatusCode.Conflict);
        await Post("/api/documents", $$"""
            { "id": "paper-2024-04-01", "source": "paper", "publishedAt": "2024-04-01", "title": "T", "authors": [], "cites": [],
              "items": [ { "id": "sig", "topic": "{{Topic}}", "type": "signal", "summary": "A signal.", "credibility": 3,
                           "ratings": { "genuine": "C", "feigned": "C" }, "rebuts": [] } ] }
            """, HttpStatusCode.Created);

        var deadline = DateTime.UtcNow.AddSeconds(60);
        JsonObject s;
        do
        {
            await _server.CatchUpAsync();
            s = (await Json($"/api/topics/{Topic}/signposts?asOf=2024-04-30"))["signposts"]!.AsArray().Single()!.AsObject();
            if (s["status"]!.GetValue<string>() == "matched") break;
            await Task.Delay(100);
        }
        while (DateTime.UtcNow < deadline);
        Assert.Equal(("matched", "borne-out", "sig"), (s["status"]!.GetValue<string>(), s["outcome"]!.GetValue<string>(), s["matches"]!.AsArray().Single()!["itemId"]!.GetValue<string>()));
        var earlier = (await Json($"/api/topics/{Topic}/signposts?asOf=2024-03-15"))["signposts"]!.AsArray().Single()!;
        Assert.Equal("open", earlier["status"]!.GetValue<string>());
    }

    private static JsonObject Hypothesis(JsonObject a, string id) => a["hypotheses"]!.AsArray().Single(h => h!["id"]!.GetValue<string>() == id)!.AsObject();

    private async Task<JsonObject> Json(string url) => (await _read.GetFromJsonAsync<JsonObject>(url))!;

    private async Task Post(string url, string body, HttpStatusCode expected, string? field = null)
    {
        using var r = await _ingest.PostAsync(url, new StringContent(body, Encoding.UTF8, "application/json"));
        var text = await r.Content.ReadAsStringAsync();
        Assert.True(r.StatusCode == expected, $"{url}: {(int)r.StatusCode} {text}");
        if (field is not null) Assert.Contains($"\"{field}\"", text);
    }
}
