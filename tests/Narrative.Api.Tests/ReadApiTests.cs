using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Narrative.Testing;

namespace Narrative.Api.Tests;

/// <summary>The contract routes and shapes of docs/design.md, over the seeded corpus.</summary>
[Collection(PostgresCollection.Name)]
public sealed class ReadApiTests(SeededApi api) : IClassFixture<SeededApi>, IDisposable
{
    private readonly SeededApi _api = api;
    private readonly HttpClient _http = api.Server.Client();

    public void Dispose()
    {
        _http.Dispose();
    }

    [Fact]
    public async Task health_topics_and_openapi_answer()
    {
        Assert.Equal(HttpStatusCode.OK, (await _http.GetAsync("/health/live")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await _http.GetAsync("/health/ready")).StatusCode);
        var topics = await _http.GetFromJsonAsync<JsonArray>("/api/topics");
        Assert.Contains(topics!, t => t!["id"]!.GetValue<string>() == Documents.Topic);
        var openapi = await _http.GetFromJsonAsync<JsonObject>("/openapi/v1.json");
        Assert.NotNull(openapi!["paths"]!["/api/topics/{topic}/assessment"]);
    }

    [Fact]
    public async Task the_assessment_has_the_contract_shape()
    {
        var a = (await _http.GetFromJsonAsync<JsonObject>($"/api/topics/{Documents.Topic}/assessment?asOf=2024-01-31"))!;
        foreach (var field in new[] { "topic", "asOf", "knownAt", "position", "leading", "likelihood", "confidence", "hypotheses", "evidence" })
            Assert.True(a[field] is not null, $"missing {field}");
        Assert.StartsWith("2024-01-31T23:59:59", a["asOf"]!.GetValue<string>());
        var h = a["hypotheses"]!.AsArray()[0]!;
        foreach (var field in new[] { "id", "label", "inconsistency", "weightedInconsistency", "rank" }) Assert.True(h[field] is not null, $"hypothesis {field}");
        var e = a["evidence"]!.AsArray().First(x => x!["itemId"]!.GetValue<string>() == "nyt-2023-12-23-backchannel")!;
        foreach (var field in new[] { "itemId", "documentId", "source", "type", "claim", "publishedAt", "credibility", "reliability", "ratings", "diagnosticity", "derivative", "contested" })
            Assert.True(e[field] is not null, $"evidence {field}");
        Assert.Equal("2023-12-23", e["publishedAt"]!.GetValue<string>());
        Assert.True(e["contested"]!.GetValue<bool>());
        Assert.False(e["derivative"]!.GetValue<bool>());
    }

    [Fact]
    public async Task timing_times_each_independent_signal_to_the_next_aid_decision()
    {
        var t = (await _http.GetFromJsonAsync<JsonObject>($"/api/topics/{Documents.Topic}/timing?asOf=2024-05-31"))!;
        foreach (var field in new[] { "n", "t", "q", "pValue", "windows", "minPAdjusted", "power", "signals", "milestones", "reading" })
            Assert.True(t[field] is not null, $"timing {field}");
        var c = (await _http.GetFromJsonAsync<JsonObject>($"/api/topics/{Documents.Topic}/coincidence?asOf=2024-05-31"))!;
        Assert.Equal(c["n"]!.GetValue<int>(), t["n"]!.GetValue<int>());
        Assert.Equal(14, t["window"]!.GetValue<int>());
        Assert.Equal([7, 14, 30], t["windows"]!.AsArray().Select(w => w!["window"]!.GetValue<int>()));
        // Bloomberg's signal of 25 January is 7 days before the EU summit of 1 February (an aid-milestone).
        var bloomberg = t["signals"]!.AsArray().Single(s => s!["publishedAt"]!.GetValue<string>() == "2024-01-25")!;
        Assert.Equal("eu-ukraine-facility-2024-02-01", bloomberg["nextMilestone"]!.GetValue<string>());
        Assert.Equal(7, bloomberg["daysToMilestone"]!.GetValue<int>());
        Assert.Contains(t["milestones"]!.AsArray(), m => m!["id"]!.GetValue<string>() == "us-supplemental-2023-24" && m["at"]!.GetValue<string>() == "2024-04-24");
        // W = 0 counts only signals published on a decision day.
        var narrow = (await _http.GetFromJsonAsync<JsonObject>($"/api/topics/{Documents.Topic}/timing?asOf=2024-05-31&window=0"))!;
        Assert.Equal(0, narrow["t"]!.GetValue<int>());

        var bad = await _http.GetAsync($"/api/topics/{Documents.Topic}/timing?window=-3");
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        Assert.Equal("application/problem+json", bad.Content.Headers.ContentType?.MediaType);
        Assert.True((await bad.Content.ReadFromJsonAsync<JsonObject>())!["errors"]!["window"] is not null);
        Assert.Equal(HttpStatusCode.NotFound, (await _http.GetAsync("/api/topics/no-such-topic/timing")).StatusCode);
    }

    [Fact]
    public async Task provenance_coincidence_timeline_changes_and_audit_answer_in_their_contract_shapes()
    {
        var p = (await _http.GetFromJsonAsync<JsonObject>("/api/claims/putin-private-openness-to-freeze/provenance?asOf=2024-02-29"))!;
        // Bloomberg's January signal has a claim of its own (openness to talks), so the freeze has one origin until Reuters.
        Assert.Equal(1, p["independentOrigins"]!.GetValue<int>());
        Assert.Equal("nyt", p["firstAppearance"]!["source"]!.GetValue<string>());
        Assert.Contains(p["appearances"]!.AsArray(), x => x!["documentId"]!.GetValue<string>() == "moscow-times-2023-12-23-nyt-rereport"
            && x["derivative"]!.GetValue<bool>() && x["derivedFrom"]!.GetValue<string>() == "nyt-2023-12-23-putin-signals");

        var c = (await _http.GetFromJsonAsync<JsonObject>($"/api/topics/{Documents.Topic}/coincidence?asOf=2024-05-31"))!;
        foreach (var field in new[] { "n", "k", "coverage", "lift", "pValue", "signals" }) Assert.True(c[field] is not null, $"coincidence {field}");
        Assert.All(c["signals"]!.AsArray(), s => Assert.True(s!["daysToDecision"] is not null && s["periods"] is JsonArray));

        var t = (await _http.GetFromJsonAsync<JsonObject>($"/api/topics/{Documents.Topic}/timeline?from=2023-12-01&to=2024-05-31&step=week"))!;
        Assert.Equal("week", t["step"]!.GetValue<string>());
        Assert.Equal(27, t["points"]!.AsArray().Count);
        Assert.All(t["points"]!.AsArray(), x => Assert.True(x!["at"] is not null && x.AsObject().ContainsKey("leading") && x.AsObject().ContainsKey("robustness")
            && x["scores"] is JsonObject && x["causes"] is JsonArray));
        // Before the first claim that counts against a hypothesis, no leader and no robustness; afterwards both.
        var points = t["points"]!.AsArray();
        Assert.True(points[0]!["leading"] is null && points[0]!["robustness"] is null);
        Assert.True(points[^1]!["leading"] is not null && points[^1]!["robustness"]!.GetValue<int>() >= 1);
        // Each point carries the likelihood word and p that the assessment of its date gives (the explorer's likelihood band).
        Assert.True(points[0]!["likelihood"]!.GetValue<string>() == "undetermined" && points[0]!["probability"] is null);
        var last = points[^1]!;
        var assessed = (await _http.GetFromJsonAsync<JsonObject>($"/api/topics/{Documents.Topic}/assessment?asOf={last["at"]!.GetValue<string>()}"))!;
        Assert.Equal(assessed["likelihood"]!.GetValue<string>(), last["likelihood"]!.GetValue<string>());
        Assert.Equal(assessed["probability"]!.GetValue<double>(), last["probability"]!.GetValue<double>(), 12);

        var ch = (await _http.GetFromJsonAsync<JsonObject>($"/api/topics/{Documents.Topic}/changes?from=2024-01-01&to=2024-02-29"))!;
        Assert.Contains(ch["added"]!.AsArray(), x => x!["documentId"]!.GetValue<string>() == "bloomberg-2024-01-25-putin-us-signal");

        var audit = (await _http.GetFromJsonAsync<JsonObject>($"/api/topics/{Documents.Topic}/audit?asOf=2023-12-31"))!;
        Assert.True(audit["replayMatches"]!.GetValue<bool>());
        Assert.True(audit["chainIntact"]!.GetValue<bool>());
        Assert.All(audit["events"]!.AsArray(), x => Assert.Equal(64, x!["hash"]!.GetValue<string>().Length));
    }

    [Fact]
    public async Task a_document_answers_with_its_title_link_and_the_text_of_each_item_as_the_seed_file_gives_them()
    {
        const string id = "nyt-2023-12-23-putin-signals";
        var seed = JsonNode.Parse(await File.ReadAllTextAsync(Path.Combine(ApiServer.SeedsFolder(), "documents", $"{id}.json")))!;
        var doc = (await _http.GetFromJsonAsync<JsonObject>($"/api/documents/{id}"))!;
        Assert.Equal(id, doc["documentId"]!.GetValue<string>());
        foreach (var field in new[] { "source", "publishedAt", "title", "url" })
            Assert.Equal(seed[field]!.GetValue<string>(), doc[field]!.GetValue<string>());
        var items = doc["items"]!.AsArray();
        Assert.Equal(seed["items"]!.AsArray().Count, items.Count);
        foreach (var (expected, actual) in seed["items"]!.AsArray().Zip(items))
        {
            foreach (var field in new[] { "type", "summary", "quote", "attributedTo" })
                Assert.Equal(expected![field]?.GetValue<string>(), actual![field]?.GetValue<string>());
            Assert.Equal(expected!["id"]!.GetValue<string>(), actual!["itemId"]!.GetValue<string>());
            Assert.False(actual["retracted"]!.GetValue<bool>());
        }
        // Before the document was recorded, the system did not know it.
        using var before = await _http.GetAsync($"/api/documents/{id}?knownAt=2000-01-01");
        Assert.Equal(HttpStatusCode.NotFound, before.StatusCode);
    }

    [Fact]
    public async Task the_sensitivity_has_the_contract_shape_and_the_assessment_shows_its_basis()
    {
        var s = (await _http.GetFromJsonAsync<JsonObject>($"/api/topics/{Documents.Topic}/sensitivity?asOf=2024-02-29"))!;
        foreach (var field in new[] { "topic", "asOf", "knownAt", "leading", "claims", "linchpins", "flipSet" })
            Assert.True(s.ContainsKey(field), $"missing {field}");
        Assert.Equal("feigned", s["leading"]!.GetValue<string>());
        var claim = s["claims"]!.AsArray()[0]!.AsObject();
        foreach (var field in new[] { "claim", "leadingWithout", "marginWithout", "linchpin" }) Assert.True(claim.ContainsKey(field), $"claim {field}");
        Assert.True(s["linchpins"] is JsonArray);
        var flip = s["flipSet"]!;
        Assert.True(flip["exact"]!.GetValue<bool>());
        Assert.Contains("nyt-2023-12-23-putin-signals", flip["origins"]!.AsArray().Select(o => o!.GetValue<string>()));

        var a = (await _http.GetFromJsonAsync<JsonObject>($"/api/topics/{Documents.Topic}/assessment?asOf=2024-02-29"))!;
        var basis = a["basis"]!;
        Assert.Equal(flip["origins"]!.AsArray().Count, basis["flipSet"]!.GetValue<int>());
        Assert.True(basis["origins"]!.GetValue<int>() >= 2 && basis["sources"]!.GetValue<int>() >= 2 && basis["margin"]!.GetValue<double>() > 0);

        var none = (await _http.GetFromJsonAsync<JsonObject>($"/api/topics/{Documents.Topic}/sensitivity?asOf=2023-12-01"))!;
        Assert.True(none["leading"] is null && none["flipSet"] is null && none["linchpins"]!.AsArray().Count == 0);
        var openapi = await _http.GetFromJsonAsync<JsonObject>("/openapi/v1.json");
        Assert.NotNull(openapi!["paths"]!["/api/topics/{topic}/sensitivity"]);
    }

    [Fact]
    public async Task the_raw_log_pages_by_position_names_its_head_and_dates_registrations_by_the_day_they_were_made()
    {
        var first = (await _http.GetFromJsonAsync<JsonObject>("/api/events?after=0&limit=10"))!;
        var events = first["events"]!.AsArray();
        Assert.Equal(10, events.Count);
        Assert.Equal(events[^1]!["position"]!.GetValue<long>(), first["last"]!.GetValue<long>());
        Assert.True(first["head"]!.GetValue<long>() > first["last"]!.GetValue<long>(), "head is the newest event, past this page");
        Assert.Equal("narrative.source_registered.v1", events[0]!["type"]!.GetValue<string>());
        Assert.True(events[0]!["data"] is JsonObject && events[0]!["metadata"]!["actor"] is not null);
        var next = (await _http.GetFromJsonAsync<JsonObject>($"/api/events?after={first["last"]}&limit=10"))!;
        Assert.True(next["events"]!.AsArray()[0]!["position"]!.GetValue<long>() > first["last"]!.GetValue<long>());

        // Sources and topics were registered when the seeds were ingested, today: their occurredAt is that day, as
        // stamped in the event (registeredOn, openedOn), not the Unix epoch and not the topic's study period.
        var all = (await _http.GetFromJsonAsync<JsonObject>("/api/events?after=0&limit=1000"))!["events"]!.AsArray();
        var registrations = all.Where(e => e!["type"]!.GetValue<string>() is "narrative.source_registered.v1" or "narrative.topic_opened.v1").ToList();
        Assert.Contains(registrations, e => e!["type"]!.GetValue<string>() == "narrative.topic_opened.v1");
        Assert.True(registrations.Count > 10);
        foreach (var e in registrations)
        {
            var occurred = DateOnly.Parse(e!["occurredAt"]!.GetValue<string>(), CultureInfo.InvariantCulture);
            var stamped = e["data"]!["registeredOn"] ?? e["data"]!["openedOn"];
            Assert.Equal(occurred.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture), stamped!.GetValue<string>());
            var recorded = DateOnly.FromDateTime(e["recordedAt"]!.GetValue<DateTimeOffset>().UtcDateTime);
            Assert.InRange(occurred.DayNumber, recorded.DayNumber - 1, recorded.DayNumber);
        }
    }

    [Theory]
    [InlineData("/api/topics/putin-ceasefire-stance/assessment?asOf=not-a-date", 400)]
    [InlineData("/api/topics/putin-ceasefire-stance/assessment?knownAt=2024-13-01", 400)]
    [InlineData("/api/topics/no-such-topic/assessment", 404)]
    [InlineData("/api/topics/no-such-topic/sensitivity", 404)]
    [InlineData("/api/topics/putin-ceasefire-stance/sensitivity?asOf=2024-02-30", 400)]
    [InlineData("/api/topics/putin-ceasefire-stance/sensitivity?knownAt=yesterday", 400)]
    [InlineData("/api/topics/putin-ceasefire-stance/timeline?step=month", 400)]
    [InlineData("/api/topics/putin-ceasefire-stance/changes", 400)]
    [InlineData("/api/claims/no-such-claim/provenance", 404)]
    [InlineData("/api/events?limit=0", 400)]
    [InlineData("/api/documents/no-such-document", 404)]
    [InlineData("/api/documents/nyt-2023-12-23-putin-signals?knownAt=soon", 400)]
    public async Task bad_queries_get_problem_details(string url, int status)
    {
        using var r = await _http.GetAsync(url);
        Assert.Equal(status, (int)r.StatusCode);
        Assert.Equal("application/problem+json", r.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task an_admin_sees_what_the_topic_cache_holds()
    {
        using var admin = _api.Server.Client(ApiServer.AdminKey);
        var before = (await admin.GetFromJsonAsync<JsonObject>("/api/admin/query-cache"))!;
        Assert.True(before["enabled"]!.GetValue<bool>());
        using (var r = await _http.GetAsync("/api/admin/query-cache")) Assert.Equal(HttpStatusCode.Unauthorized, r.StatusCode);

        await _http.GetStringAsync($"/api/topics/{Documents.Topic}/assessment?asOf=2024-01-31");
        await _http.GetStringAsync($"/api/topics/{Documents.Topic}/assessment?asOf=2024-05-31");
        var after = (await admin.GetFromJsonAsync<JsonObject>("/api/admin/query-cache"))!;
        var asked = after["hits"]!.GetValue<long>() + after["misses"]!.GetValue<long>()
            - before["hits"]!.GetValue<long>() - before["misses"]!.GetValue<long>();
        Assert.Equal(2, asked);
        var held = after["topics"]!.AsArray().Single(t => t!["topic"]!.GetValue<string>() == Documents.Topic)!;
        Assert.True(held["items"]!.GetValue<int>() > 0, held.ToJsonString());
    }

    [Fact]
    public async Task an_admin_can_rebuild_a_projection_and_follow_it_in_status()
    {
        using var admin = _api.Server.Client(ApiServer.AdminKey);
        var before = await _http.GetStringAsync($"/api/topics/{Documents.Topic}/assessment?asOf=2024-05-31&knownAt=2099-01-01");
        using (var r = await admin.PostAsync("/api/admin/projections/analysis/rebuild", null)) Assert.Equal(HttpStatusCode.Accepted, r.StatusCode);
        using (var r = await admin.PostAsync("/api/admin/projections/nope/rebuild", null)) Assert.Equal(HttpStatusCode.NotFound, r.StatusCode);
        var until = DateTime.UtcNow.AddSeconds(30);
        while (true)
        {
            var status = (await admin.GetFromJsonAsync<JsonArray>("/api/admin/projections"))!.First(s => s!["name"]!.GetValue<string>() == "analysis")!;
            if (status["rebuildProgress"] is null && status["lag"]!.GetValue<long>() == 0 && status["state"]!.GetValue<string>() == "running") break;
            Assert.True(DateTime.UtcNow < until, status.ToJsonString());
            await Task.Delay(100);
        }
        Assert.Equal(before, await _http.GetStringAsync($"/api/topics/{Documents.Topic}/assessment?asOf=2024-05-31&knownAt=2099-01-01"));
    }

    [Fact]
    public async Task the_status_counts_the_handler_messages_queued_in_wolverines_inbox_on_the_relays_row_only()
    {
        using var admin = _api.Server.Client(ApiServer.AdminKey);
        var rows = (await admin.GetFromJsonAsync<JsonArray>("/api/admin/projections"))!;
        Assert.True(rows.Single(s => s!["kind"]!.GetValue<string>() == "handlers")!["queued"]!.GetValue<int>() >= 0, rows.ToJsonString());
        Assert.Null(rows.Single(s => s!["name"]!.GetValue<string>() == "analysis")!["queued"]);
    }

    [Theory]
    [InlineData("changes?from=2024-03-01&to=2024-01-01", "from", "to")]
    [InlineData("changes?knownFrom=2030-01-01&knownTo=2024-01-01", "knownFrom", "knownTo")]
    [InlineData("timeline?from=2024-03-01&to=2024-01-01", "from", "to")]
    public async Task a_reversed_range_is_400_naming_both_ends_without_speaking_of_writes(string query, string start, string end)
    {
        using var r = await _http.GetAsync($"/api/topics/{Documents.Topic}/{query}");
        Assert.Equal(HttpStatusCode.BadRequest, r.StatusCode);
        Assert.Equal("application/problem+json", r.Content.Headers.ContentType?.MediaType);
        var problem = JsonNode.Parse(await r.Content.ReadAsStringAsync())!;
        Assert.NotNull(problem["errors"]![start]);
        Assert.NotNull(problem["errors"]![end]);
        Assert.DoesNotContain("written", problem["title"]!.GetValue<string>(), StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task a_bad_query_time_is_400_without_speaking_of_writes()
    {
        using var r = await _http.GetAsync($"/api/topics/{Documents.Topic}/assessment?asOf=yesterday");
        Assert.Equal(HttpStatusCode.BadRequest, r.StatusCode);
        var problem = JsonNode.Parse(await r.Content.ReadAsStringAsync())!;
        Assert.NotNull(problem["errors"]!["asOf"]);
        Assert.Equal("The query is not valid", problem["title"]!.GetValue<string>());

        using var window = await _http.GetAsync($"/api/topics/{Documents.Topic}/timing?window=-1");
        Assert.Equal(HttpStatusCode.BadRequest, window.StatusCode);
        Assert.Equal("The query is not valid", JsonNode.Parse(await window.Content.ReadAsStringAsync())!["title"]!.GetValue<string>());
    }
}
