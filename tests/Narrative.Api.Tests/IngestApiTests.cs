using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using Narrative.Testing;

namespace Narrative.Api.Tests;

public sealed class SeededApi : IAsyncLifetime
{
    private readonly PostgresFixture _pg;

    public SeededApi(PostgresFixture pg) => _pg = pg;

    public ApiServer Server { get; private set; } = null!;

    public async Task InitializeAsync() => Server = await ApiServer.StartAsync(_pg, ApiServer.SeedsFolder());

    public async Task DisposeAsync() => await Server.DisposeAsync();
}

[Collection(PostgresCollection.Name)]
public sealed class IngestApiTests(SeededApi api) : IClassFixture<SeededApi>, IDisposable
{
    private readonly SeededApi _api = api;
    private readonly HttpClient _ingest = api.Server.Client(ApiServer.IngestKey);

    public void Dispose()
    {
        _ingest.Dispose();
    }

    /// <summary>Events written by ingestion (reactions append their own events to topic streams in the background).</summary>
    private async Task<long> EventCount()
    {
        await using var cmd = _api.Server.Services.DataSource.CreateCommand("select count(*) from narrative.mt_events where coalesce(user_name, '') not like 'handler:%' and coalesce(user_name, '') not like 'timer:%'");
        return (long)(await cmd.ExecuteScalarAsync())!;
    }

    private Task<HttpResponseMessage> Post(string path, JsonNode body, HttpClient? client = null) =>
        (client ?? _ingest).PostAsync(path, new StringContent(body.ToJsonString(), System.Text.Encoding.UTF8, "application/json"));

    [Fact]
    public async Task every_validation_rule_answers_400_naming_its_field_and_writes_nothing()
    {
        var before = await EventCount();
        foreach (var (name, breakIt, field, code) in Documents.Rules())
        {
            var doc = Documents.Valid($"rule-{Math.Abs(name.GetHashCode(StringComparison.Ordinal)) % 100000}");
            breakIt(doc);
            using var r = await Post("/api/documents", doc);
            var body = await r.Content.ReadAsStringAsync();
            Assert.True(r.StatusCode == HttpStatusCode.BadRequest, $"{name}: {(int)r.StatusCode} {body}");
            Assert.Equal("application/problem+json", r.Content.Headers.ContentType?.MediaType);
            var problem = JsonNode.Parse(body)!;
            Assert.True(problem["errors"]![field] is not null, $"{name}: field {field} not named in {body}");
            Assert.Contains(problem["fieldErrors"]!.AsArray(), e => e!["field"]!.GetValue<string>() == field && e["code"]!.GetValue<string>() == code);
        }
        Assert.Equal(before, await EventCount());
    }

    [Fact]
    public async Task two_hundred_generated_malformed_documents_are_all_rejected_and_the_log_is_unchanged()
    {
        var before = await EventCount();
        var rules = Documents.Rules().Where(r => r.Code != "too_large").ToList();
        var rng = new Random(7);
        var rejected = 0;
        for (var i = 0; i < 210; i++)
        {
            var doc = Documents.Valid($"gen-{i}");
            // One to three rule breaks per document, plus some structurally broken bodies.
            rules[rng.Next(rules.Count)].Break(doc);
            foreach (var rule in Enumerable.Range(0, rng.Next(0, 3)).Select(_ => rules[rng.Next(rules.Count)]))
            {
                try { rule.Break(doc); }
                catch (ArgumentOutOfRangeException) { } // an earlier break removed the items this one edits
            }
            var text = i % 15 == 0 ? doc.ToJsonString()[..^3] : i % 21 == 0 ? "[1,2,3]" : doc.ToJsonString();
            using var r = await _ingest.PostAsync("/api/documents", new StringContent(text, System.Text.Encoding.UTF8, "application/json"));
            Assert.True(r.StatusCode == HttpStatusCode.BadRequest, $"document {i}: {(int)r.StatusCode} {await r.Content.ReadAsStringAsync()}");
            rejected++;
        }
        Assert.Equal(210, rejected);
        Assert.Equal(before, await EventCount());
    }

    [Fact]
    public async Task a_document_with_bytes_that_are_not_utf8_is_400_invalid_json_and_writes_nothing()
    {
        var before = await EventCount();
        var text = Documents.Valid("not-utf8-2024-03-01").ToJsonString();
        var at = text.IndexOf("A test piece", StringComparison.Ordinal);
        byte[] body = [.. System.Text.Encoding.UTF8.GetBytes(text[..at]), 0xD4, 0xFF, .. System.Text.Encoding.UTF8.GetBytes(text[at..])];
        using var r = await _ingest.PostAsync("/api/documents", new ByteArrayContent(body) { Headers = { ContentType = new("application/json") } });
        Assert.Equal(HttpStatusCode.BadRequest, r.StatusCode);
        var problem = await Problem(r);
        Assert.Contains(problem["fieldErrors"]!.AsArray(), e => e!["field"]!.GetValue<string>() == "$" && e["code"]!.GetValue<string>() == "invalid_json");
        Assert.Equal(before, await EventCount());
    }

    [Fact]
    public async Task a_nul_character_in_a_text_field_is_400_naming_the_field_and_writes_nothing()
    {
        var before = await EventCount();
        var doc = Documents.Valid("nul-2024-03-01");
        doc["title"] = "a\u0000b";
        ((JsonObject)doc["items"]![0]!)["summary"] = "\u0000";
        using var r = await Post("/api/documents", doc);
        Assert.Equal(HttpStatusCode.BadRequest, r.StatusCode);
        var errors = (await Problem(r))["fieldErrors"]!.AsArray().Select(e => (e!["field"]!.GetValue<string>(), e["code"]!.GetValue<string>())).ToList();
        Assert.Contains(("title", "nul_character"), errors);
        Assert.Contains(("items[0].summary", "nul_character"), errors);
        Assert.Equal(before, await EventCount());
    }

    [Fact]
    public async Task a_valid_document_is_201_and_the_same_again_is_200_writing_nothing()
    {
        var doc = Documents.Valid("twice-2024-03-01");
        using var first = await Post("/api/documents", doc);
        Assert.Equal(HttpStatusCode.Created, first.StatusCode);
        var created = await first.Content.ReadFromJsonAsync<JsonObject>();
        Assert.Equal("twice-2024-03-01", created!["documentId"]!.GetValue<string>());
        Assert.Equal("document-twice-2024-03-01", created["stream"]!.GetValue<string>());
        Assert.Equal(3, created["events"]!.GetValue<int>());
        Assert.True(created["created"]!.GetValue<bool>());
        var count = await EventCount();

        using var again = await Post("/api/documents", doc);
        Assert.Equal(HttpStatusCode.OK, again.StatusCode);
        Assert.False((await again.Content.ReadFromJsonAsync<JsonObject>())!["created"]!.GetValue<bool>());
        Assert.Equal(count, await EventCount());
    }

    [Fact]
    public async Task sixteen_concurrent_posts_of_one_new_document_give_one_201_and_fifteen_200s()
    {
        var doc = Documents.Valid("race-2024-03-02");
        var before = await EventCount();
        var clients = Enumerable.Range(0, 16).Select(_ => _api.Server.Client(ApiServer.IngestKey)).ToList();
        var codes = await Task.WhenAll(clients.Select(async c =>
        {
            using var r = await Post("/api/documents", doc, c);
            return r.StatusCode;
        }));
        clients.ForEach(c => c.Dispose());

        Assert.Equal(1, codes.Count(c => c == HttpStatusCode.Created));
        Assert.Equal(15, codes.Count(c => c == HttpStatusCode.OK));
        Assert.Equal(before + 3, await EventCount());
    }

    [Fact]
    public async Task the_same_id_with_different_content_is_409_and_writes_nothing()
    {
        var doc = Documents.Valid("changed-2024-03-03");
        using (var r = await Post("/api/documents", doc)) Assert.Equal(HttpStatusCode.Created, r.StatusCode);
        var count = await EventCount();
        doc["title"] = "A different title";
        using var conflict = await Post("/api/documents", doc);
        Assert.Equal(HttpStatusCode.Conflict, conflict.StatusCode);
        Assert.Equal("application/problem+json", conflict.Content.Headers.ContentType?.MediaType);
        Assert.Equal(count, await EventCount());
    }

    [Fact]
    public async Task corrections_append_events_and_never_edit_history()
    {
        var doc = Documents.Valid("corrected-2024-03-04");
        using (var r = await Post("/api/documents", doc)) Assert.Equal(HttpStatusCode.Created, r.StatusCode);
        var stream = "document-corrected-2024-03-04";
        var original = await _api.Server.Services.Log.ReadStreamAsync(stream, default);

        var correction = JsonNode.Parse("""
            { "reason": "second source disagrees", "items": [
              { "id": "corrected-2024-03-04-a", "ratings": { "genuine": "I", "feigned": "C", "maximalist": "C" }, "credibility": 2 },
              { "id": "corrected-2024-03-04-b", "retracted": true } ] }
            """)!;
        using var ok = await Post("/api/documents/corrected-2024-03-04/corrections", correction);
        Assert.Equal(HttpStatusCode.Created, ok.StatusCode);

        var after = await _api.Server.Services.Log.ReadStreamAsync(stream, default);
        Assert.Equal(original.Count + 2, after.Count);
        Assert.Equal(original.Select(e => (e.Position, e.DataJson, e.Hash)), after.Take(original.Count).Select(e => (e.Position, e.DataJson, e.Hash)));
        Assert.Equal(["narrative.item_rerated.v1", "narrative.item_retracted.v1"], after.Skip(original.Count).Select(e => e.Type));
        Assert.Empty(await _api.Server.Services.Log.VerifyAsync(default));

        using var unknownItem = await Post("/api/documents/corrected-2024-03-04/corrections",
            JsonNode.Parse("""{ "reason": "x", "items": [ { "id": "nyt-2023-12-23-backchannel", "credibility": 2 } ] }""")!);
        Assert.Equal(HttpStatusCode.BadRequest, unknownItem.StatusCode);
        using var unknownDoc = await Post("/api/documents/no-such-doc/corrections", correction);
        Assert.Equal(HttpStatusCode.NotFound, unknownDoc.StatusCode);
    }

    [Fact]
    public async Task writes_need_a_key_of_the_right_role()
    {
        var doc = Documents.Valid("auth-2024-03-05");
        using var anonymous = _api.Server.Client();
        using var wrong = _api.Server.Client("not-a-key");
        using var admin = _api.Server.Client(ApiServer.AdminKey);

        using (var r = await Post("/api/documents", doc, anonymous)) Assert.Equal(HttpStatusCode.Unauthorized, r.StatusCode);
        using (var r = await Post("/api/documents", doc, wrong)) Assert.Equal(HttpStatusCode.Unauthorized, r.StatusCode);
        using (var r = await Post("/api/documents", doc, admin)) Assert.Equal(HttpStatusCode.Forbidden, r.StatusCode);
        using (var r = await _ingest.GetAsync("/api/admin/projections")) Assert.Equal(HttpStatusCode.Forbidden, r.StatusCode);
        using (var r = await anonymous.GetAsync("/api/admin/projections")) Assert.Equal(HttpStatusCode.Unauthorized, r.StatusCode);
        using (var r = await admin.GetAsync("/api/admin/projections")) Assert.Equal(HttpStatusCode.OK, r.StatusCode);
        using (var r = await anonymous.GetAsync("/api/topics")) Assert.Equal(HttpStatusCode.OK, r.StatusCode);
    }

    [Fact]
    public async Task topics_sources_and_context_periods_can_be_added_at_run_time()
    {
        using (var r = await Post("/api/sources", JsonNode.Parse("""{ "id": "test-wire", "name": "Test Wire", "kind": "wire", "reliability": "C", "rationale": "test" }""")!))
            Assert.Equal(HttpStatusCode.Created, r.StatusCode);
        using (var r = await Post("/api/sources", JsonNode.Parse("""{ "id": "test-wire", "name": "Test Wire", "kind": "wire", "reliability": "C", "rationale": "test" }""")!))
            Assert.Equal(HttpStatusCode.OK, r.StatusCode);
        // Another grade is a regrade, which needs its reason: without one it is refused and nothing is written.
        using (var r = await Post("/api/sources", JsonNode.Parse("""{ "id": "test-wire", "name": "Test Wire", "kind": "wire", "reliability": "A" }""")!))
        {
            Assert.Equal(HttpStatusCode.BadRequest, r.StatusCode);
            Assert.Contains("reason", await r.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }
        using (var r = await Post("/api/topics", JsonNode.Parse("""
            { "id": "test-topic", "title": "T", "period": { "start": "2024-01-01", "end": "2024-02-01" },
              "hypotheses": [ { "id": "yes", "label": "Yes" }, { "id": "no", "label": "No" } ] }
            """)!))
            Assert.Equal(HttpStatusCode.Created, r.StatusCode);
        using (var r = await Post("/api/context-periods", JsonNode.Parse("""
            { "id": "test-debate", "label": "A debate", "category": "aid-debate", "start": "2024-01-10", "end": "2024-01-20", "decisionAt": "2024-01-20" }
            """)!))
            Assert.Equal(HttpStatusCode.Created, r.StatusCode);
        using (var r = await Post("/api/context-periods", JsonNode.Parse("""{ "id": "bad", "label": "x", "category": "aid-debate", "start": "2024-02-10", "end": "2024-01-20" }""")!))
            Assert.Equal(HttpStatusCode.BadRequest, r.StatusCode);

        var doc = new JsonObject
        {
            ["id"] = "test-topic-doc", ["source"] = "test-wire", ["publishedAt"] = "2024-01-15", ["title"] = "On the new topic",
            ["items"] = new JsonArray(new JsonObject
            {
                ["id"] = "test-topic-doc-1", ["topic"] = "test-topic", ["type"] = "signal", ["summary"] = "s", ["credibility"] = 2,
                ["ratings"] = new JsonObject { ["yes"] = "C", ["no"] = "I" },
            }),
        };
        using (var r = await Post("/api/documents", doc)) Assert.Equal(HttpStatusCode.Created, r.StatusCode);
        await _api.Server.CatchUpAsync();
        var a = await _ingest.GetFromJsonAsync<JsonObject>("/api/topics/test-topic/assessment?asOf=2024-01-31");
        Assert.Equal("yes", a!["leading"]!.GetValue<string>());
        var c = await _ingest.GetFromJsonAsync<JsonObject>("/api/topics/test-topic/coincidence?asOf=2024-02-01");
        Assert.Equal(1, c!["k"]!.GetValue<int>());
    }

    private async Task<HttpResponseMessage> PostWithKey(string path, JsonNode body, string key)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, path)
        {
            Content = new StringContent(body.ToJsonString(), System.Text.Encoding.UTF8, "application/json"),
        };
        request.Headers.Add("Idempotency-Key", key);
        return await _ingest.SendAsync(request);
    }

    private static async Task<JsonNode> Problem(HttpResponseMessage r)
    {
        Assert.Equal("application/problem+json", r.Content.Headers.ContentType?.MediaType);
        return JsonNode.Parse(await r.Content.ReadAsStringAsync())!;
    }

    [Fact]
    public async Task a_wrong_type_is_explained_in_plain_words_without_a_clr_type_name()
    {
        var doc = Documents.Valid("plain-words-2024-03-01");
        ((JsonObject)doc["items"]![0]!)["credibility"] = 3.5;
        using var r = await Post("/api/documents", doc);
        Assert.Equal(HttpStatusCode.BadRequest, r.StatusCode);
        var body = await r.Content.ReadAsStringAsync();
        var message = (await Problem(r))["errors"]!["items[0].credibility"]![0]!.GetValue<string>();
        Assert.Equal("items[0].credibility must be an integer from 1 to 6.", message);
        Assert.DoesNotContain("System.", body, StringComparison.Ordinal);
        Assert.DoesNotContain("Int32", body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task a_misspelt_field_is_named_with_a_suggestion_by_every_write_route()
    {
        var before = await EventCount();
        var doc = Documents.Valid("misspelt-2024-03-01");
        ((JsonObject)doc["items"]![0]!)["occuredAt"] = "2024-01-01";
        using (var r = await Post("/api/documents", doc))
            Assert.EndsWith("did you mean 'occurredAt'?", (await Problem(r))["errors"]!["items[0].occuredAt"]![0]!.GetValue<string>(), StringComparison.Ordinal);
        foreach (var (path, body, field) in new (string, string, string)[]
                 {
                     ("/api/documents/nyt-2023-12-23-putin-signals/corrections", """{ "reason": "r", "items": [ { "id": "nyt-2023-12-23-backchannel", "credibilty": 2 } ] }""", "items[0].credibilty"),
                     ("/api/topics", """{ "id": "t-x", "title": "T", "period": { "start": "2024-01-01", "end": "2024-02-01" }, "hypothesis": [] }""", "hypothesis"),
                     ("/api/sources", """{ "id": "s-x", "name": "S", "kind": "wire", "reliabilty": "B" }""", "reliabilty"),
                     ("/api/context-periods", """{ "id": "c-x", "label": "L", "category": "aid-debate", "start": "2024-01-01", "end": "2024-01-02", "decisionat": "2024-01-02" }""", "decisionat"),
                 })
        {
            using var r = await Post(path, JsonNode.Parse(body)!);
            Assert.True(r.StatusCode == HttpStatusCode.BadRequest, $"{path}: {(int)r.StatusCode}");
            var problem = await Problem(r);
            Assert.True(problem["errors"]![field] is not null, $"{path}: {problem.ToJsonString()}");
            Assert.Contains("did you mean", problem["errors"]![field]![0]!.GetValue<string>(), StringComparison.Ordinal);
        }
        Assert.Equal(before, await EventCount());
    }

    [Fact]
    public async Task a_held_document_reposted_with_another_documents_item_id_names_that_item()
    {
        var doc = Documents.Valid("steal-2024-03-01");
        using (var r = await Post("/api/documents", doc)) Assert.Equal(HttpStatusCode.Created, r.StatusCode);
        var count = await EventCount();
        ((JsonObject)doc["items"]![0]!)["id"] = "nyt-2023-12-23-backchannel";
        using var again = await Post("/api/documents", doc);
        Assert.Equal(HttpStatusCode.BadRequest, again.StatusCode);
        var problem = await Problem(again);
        Assert.Contains("nyt-2023-12-23-putin-signals", problem["errors"]!["items[0].id"]![0]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Contains(problem["fieldErrors"]!.AsArray(), e => e!["code"]!.GetValue<string>() == "item_exists");
        Assert.Equal(count, await EventCount());
    }

    [Fact]
    public async Task the_same_correction_twice_is_200_the_second_time_and_moves_nothing()
    {
        var doc = Documents.Valid("corrected-twice-2024-03-01");
        using (var r = await Post("/api/documents", doc)) Assert.Equal(HttpStatusCode.Created, r.StatusCode);
        var correction = JsonNode.Parse("""
            { "reason": "second look", "items": [
              { "id": "corrected-twice-2024-03-01-a", "ratings": { "genuine": "I", "feigned": "C", "maximalist": "C" }, "credibility": 2 },
              { "id": "corrected-twice-2024-03-01-b", "retracted": true } ] }
            """)!;
        using (var r = await Post("/api/documents/corrected-twice-2024-03-01/corrections", correction)) Assert.Equal(HttpStatusCode.Created, r.StatusCode);
        await _api.Server.CatchUpAsync();
        var count = await EventCount();
        var scores = await _ingest.GetStringAsync($"/api/topics/{Documents.Topic}/assessment?asOf=2024-03-31");

        // The same correction, items and ratings in another order: identical by the documented rule.
        var reordered = JsonNode.Parse("""
            { "reason": "second look", "items": [
              { "id": "corrected-twice-2024-03-01-b", "retracted": true },
              { "id": "corrected-twice-2024-03-01-a", "credibility": 2, "ratings": { "maximalist": "C", "feigned": "C", "genuine": "I" } } ] }
            """)!;
        using var again = await Post("/api/documents/corrected-twice-2024-03-01/corrections", reordered);
        Assert.Equal(HttpStatusCode.OK, again.StatusCode);
        var body = (await again.Content.ReadFromJsonAsync<JsonObject>())!;
        Assert.False(body["created"]!.GetValue<bool>());
        Assert.Equal(0, body["events"]!.GetValue<int>());
        await _api.Server.CatchUpAsync();
        Assert.Equal(count, await EventCount());
        Assert.Equal(Scores(scores), Scores(await _ingest.GetStringAsync($"/api/topics/{Documents.Topic}/assessment?asOf=2024-03-31")));

        // Another reason is another correction.
        correction["reason"] = "third look";
        correction["items"]!.AsArray().RemoveAt(1);
        using var other = await Post("/api/documents/corrected-twice-2024-03-01/corrections", correction);
        Assert.Equal(HttpStatusCode.Created, other.StatusCode);
        Assert.Equal(count + 1, await EventCount());

        static string Scores(string assessment) => JsonNode.Parse(assessment)!["hypotheses"]!.ToJsonString();
    }

    [Fact]
    public async Task a_retried_write_with_the_same_idempotency_key_gets_the_original_answer_and_writes_nothing()
    {
        var doc = Documents.Valid("keyed-2024-03-01");
        using var first = await PostWithKey("/api/documents", doc, "key-doc-1");
        Assert.Equal(HttpStatusCode.Created, first.StatusCode);
        var original = await first.Content.ReadAsStringAsync();
        var count = await EventCount();

        using var retry = await PostWithKey("/api/documents", doc, "key-doc-1");
        Assert.Equal(HttpStatusCode.Created, retry.StatusCode);
        Assert.Equal(original, await retry.Content.ReadAsStringAsync());
        Assert.Equal("true", retry.Headers.GetValues("Idempotent-Replayed").Single());
        Assert.Equal(count, await EventCount());

        var correction = JsonNode.Parse("""{ "reason": "keyed", "items": [ { "id": "keyed-2024-03-01-a", "credibility": 5 } ] }""")!;
        using (var r = await PostWithKey("/api/documents/keyed-2024-03-01/corrections", correction, "key-corr-1")) Assert.Equal(HttpStatusCode.Created, r.StatusCode);
        using (var r = await PostWithKey("/api/documents/keyed-2024-03-01/corrections", correction, "key-corr-1")) Assert.Equal(HttpStatusCode.Created, r.StatusCode);
        var source = JsonNode.Parse("""{ "id": "keyed-wire", "name": "Keyed Wire", "kind": "wire", "reliability": "C" }""")!;
        using (var r = await PostWithKey("/api/sources", source, "key-source-1")) Assert.Equal(HttpStatusCode.Created, r.StatusCode);
        using (var r = await PostWithKey("/api/sources", source, "key-source-1")) Assert.Equal(HttpStatusCode.Created, r.StatusCode);
        Assert.Equal(count + 2, await EventCount());

        await using var cmd = _api.Server.Services.DataSource.CreateCommand(
            "select count(*) from catalog.idempotency_keys where idempotency_key = any(array['key-doc-1', 'key-corr-1', 'key-source-1'])");
        Assert.Equal(3L, await cmd.ExecuteScalarAsync());
    }

    [Fact]
    public async Task an_idempotency_key_reused_with_another_body_is_422_and_writes_nothing()
    {
        var doc = Documents.Valid("rekeyed-2024-03-01");
        using (var r = await PostWithKey("/api/documents", doc, "key-reused")) Assert.Equal(HttpStatusCode.Created, r.StatusCode);
        var count = await EventCount();
        var other = Documents.Valid("rekeyed-2024-03-02");
        using var reused = await PostWithKey("/api/documents", other, "key-reused");
        Assert.Equal(HttpStatusCode.UnprocessableEntity, reused.StatusCode);
        Assert.Contains("key-reused", (await Problem(reused))["detail"]!.GetValue<string>(), StringComparison.Ordinal);
        using var topic = await PostWithKey("/api/topics", JsonNode.Parse("""
            { "id": "rekeyed-topic", "title": "T", "period": { "start": "2024-01-01", "end": "2024-02-01" },
              "hypotheses": [ { "id": "yes", "label": "Yes" }, { "id": "no", "label": "No" } ] }
            """)!, "key-reused");
        Assert.Equal(HttpStatusCode.UnprocessableEntity, topic.StatusCode);
        Assert.Equal(count, await EventCount());
    }

    [Fact]
    public async Task a_rejected_write_does_not_use_up_its_idempotency_key()
    {
        var doc = Documents.Valid("fixed-2024-03-01");
        doc["foo"] = 1;
        using (var r = await PostWithKey("/api/documents", doc, "key-fixed")) Assert.Equal(HttpStatusCode.BadRequest, r.StatusCode);
        doc.Remove("foo");
        using (var r = await PostWithKey("/api/documents", doc, "key-fixed")) Assert.Equal(HttpStatusCode.Created, r.StatusCode);
    }

    [Fact]
    public async Task concurrent_retries_of_one_correction_or_one_key_write_once()
    {
        var doc = Documents.Valid("concurrent-2024-03-01");
        using (var r = await Post("/api/documents", doc)) Assert.Equal(HttpStatusCode.Created, r.StatusCode);
        var before = await EventCount();
        var correction = JsonNode.Parse("""{ "reason": "race", "items": [ { "id": "concurrent-2024-03-01-a", "credibility": 4 } ] }""")!;
        var clients = Enumerable.Range(0, 8).Select(_ => _api.Server.Client(ApiServer.IngestKey)).ToList();
        var corrections = await Task.WhenAll(clients.Select(async c =>
        {
            using var r = await Post("/api/documents/concurrent-2024-03-01/corrections", correction, c);
            return r.StatusCode;
        }));
        Assert.Equal(1, corrections.Count(c => c == HttpStatusCode.Created));
        Assert.Equal(7, corrections.Count(c => c == HttpStatusCode.OK));
        Assert.Equal(before + 1, await EventCount());

        var keyed = Documents.Valid("concurrent-2024-03-02");
        var keyedCodes = await Task.WhenAll(clients.Select(async c =>
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, "/api/documents")
            {
                Content = new StringContent(keyed.ToJsonString(), System.Text.Encoding.UTF8, "application/json"),
            };
            request.Headers.Add("Idempotency-Key", "key-concurrent");
            using var r = await c.SendAsync(request);
            return r.StatusCode;
        }));
        clients.ForEach(c => c.Dispose());
        Assert.All(keyedCodes, c => Assert.Equal(HttpStatusCode.Created, c));
        Assert.Equal(before + 1 + 3, await EventCount());
    }
}
