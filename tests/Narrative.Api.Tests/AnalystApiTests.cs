using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using Narrative.Testing;

namespace Narrative.Api.Tests;

/// <summary>
/// Several analysts on one topic, end to end on a real PostgreSQL: keys (hashed at rest, revoked, rotated, roles), and
/// the analyst, consensus and disagreement answers on a hand-made topic, checked against values computed here by the
/// documented rules (README "Several analysts"), also at a knownAt before a re-rating.
/// </summary>
[Collection(PostgresCollection.Name)]
public sealed class AnalystApiTests(PostgresFixture pg) : IAsyncLifetime
{
    private const string Topic = "panel-test";
    private ApiServer _server = null!;
    private HttpClient _admin = null!;
    private HttpClient _ingest = null!;
    private HttpClient _open = null!;

    public async Task InitializeAsync()
    {
        _server = await ApiServer.StartAsync(pg);
        _admin = _server.Client(ApiServer.AdminKey);
        _ingest = _server.Client(ApiServer.IngestKey);
        _open = _server.Client();
        await Ok(Post(_ingest, "/api/sources", new JsonObject { ["id"] = "src-b", ["name"] = "B source", ["kind"] = "newspaper", ["reliability"] = "B" }));
        await Ok(Post(_ingest, "/api/sources", new JsonObject { ["id"] = "src-c", ["name"] = "C source", ["kind"] = "newspaper", ["reliability"] = "C" }));
        await Ok(Post(_ingest, "/api/topics", new JsonObject
        {
            ["id"] = Topic, ["title"] = "A panel of analysts", ["period"] = new JsonObject { ["start"] = "2024-01-01", ["end"] = "2024-12-31" },
            ["hypotheses"] = new JsonArray(Hypothesis("h1"), Hypothesis("h2"), Hypothesis("h3")),
        }));
        foreach (var (doc, source, published, items) in Corpus)
        {
            await Ok(Post(_ingest, "/api/documents", new JsonObject
            {
                ["id"] = doc, ["source"] = source, ["publishedAt"] = published, ["title"] = doc, ["authors"] = new JsonArray(), ["cites"] = new JsonArray(),
                ["items"] = new JsonArray([.. items.Select(i => (JsonNode)new JsonObject
                {
                    ["id"] = i.Claim, ["topic"] = Topic, ["type"] = "report", ["claim"] = i.Claim, ["summary"] = "s", ["credibility"] = i.Credibility,
                    ["ratings"] = new JsonObject([.. i.Ratings.Select(kv => KeyValuePair.Create(kv.Key, (JsonNode?)kv.Value))]),
                })]),
            }));
        }
    }

    public async Task DisposeAsync()
    {
        foreach (var c in new[] { _admin, _ingest, _open }) c.Dispose();
        await _server.DisposeAsync();
    }

    private static JsonObject Hypothesis(string id) => new() { ["id"] = id, ["label"] = id.ToUpperInvariant() };

    private sealed record Item(string Claim, int Credibility, Dictionary<string, string> Ratings);

    // Two sources (B: r = √2, C: r = 1), three claims. c-b has credibility 2 (c = √2), the others 3 (c = 1).
    private static readonly (string Doc, string Source, string Published, Item[] Items)[] Corpus =
    [
        ("panel-doc-1", "src-b", "2024-02-01",
        [
            new("c-a", 3, new() { ["h1"] = "C", ["h2"] = "N", ["h3"] = "I" }),
            new("c-b", 2, new() { ["h1"] = "N", ["h2"] = "N", ["h3"] = "N" }),
        ]),
        ("panel-doc-2", "src-c", "2024-03-01", [new("c-c", 3, new() { ["h1"] = "I", ["h2"] = "C", ["h3"] = "N" })]),
    ];

    private static readonly string[] Hypotheses = ["h1", "h2", "h3"];

    [Fact]
    public async Task analyst_keys_are_hashed_at_rest_and_never_logged()
    {
        var captured = new StringWriter();
        var console = Console.Out;
        Console.SetOut(new TeeWriter(console, captured));
        string key;
        try
        {
            key = await CreateAnalyst("keeper", "Keeper");
            using var keeper = _server.Client(key);
            Assert.Equal(HttpStatusCode.OK, (await keeper.GetAsync("/api/analysts/me")).StatusCode);
            await Ok(Post(keeper, $"/api/topics/{Topic}/ratings", Ratings(("c-b", new() { ["h1"] = "C" }, null))));
        }
        finally
        {
            Console.SetOut(console);
        }
        Assert.StartsWith("nk_", key);
        Assert.True(key.Length >= 64);
        Assert.DoesNotContain(key[3..], captured.ToString());
        Assert.Contains("keeper", captured.ToString());
        Assert.Equal(0, await RowsContainingAsync(key[3..]));
        // What is stored is the SHA-256 of the key, in the catalog and in the registration event.
        var hash = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(Encoding.UTF8.GetBytes(key)));
        Assert.True(await RowsContainingAsync(hash) >= 2);
    }

    [Fact]
    public async Task a_revoked_key_gets_401_at_once_and_a_rotated_key_replaces_the_old_one()
    {
        var key = await CreateAnalyst("rex", "Rex");
        using var rex = _server.Client(key);
        Assert.Equal(HttpStatusCode.Created, (await Post(rex, $"/api/topics/{Topic}/ratings", Ratings(("c-a", new() { ["h1"] = "N" }, null)))).StatusCode);

        Assert.Equal(HttpStatusCode.OK, (await _admin.PostAsync("/api/admin/analysts/rex/revoke", null)).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await Post(rex, $"/api/topics/{Topic}/ratings", Ratings(("c-a", new() { ["h1"] = "C" }, null)))).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await rex.GetAsync("/api/analysts/me")).StatusCode);

        var rotated = await _admin.PostAsync("/api/admin/analysts/rex/rotate", null);
        Assert.Equal(HttpStatusCode.OK, rotated.StatusCode);
        var fresh = (await rotated.Content.ReadFromJsonAsync<JsonObject>())!["key"]!.GetValue<string>();
        Assert.NotEqual(key, fresh);
        using var rex2 = _server.Client(fresh);
        Assert.Equal(HttpStatusCode.OK, (await rex2.GetAsync("/api/analysts/me")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await rex.GetAsync("/api/analysts/me")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await _admin.PostAsync("/api/admin/analysts/rex/rotate", null)).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await rex2.GetAsync("/api/analysts/me")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await _admin.PostAsync("/api/admin/analysts/nobody/revoke", null)).StatusCode);

        var listed = (await _open.GetFromJsonAsync<JsonArray>("/api/analysts"))!;
        Assert.Contains(listed, a => a!["id"]!.GetValue<string>() == "rex");
        Assert.DoesNotContain("key", listed.ToJsonString(), StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task keys_of_the_wrong_role_get_403_and_missing_or_unknown_keys_get_401()
    {
        var key = await CreateAnalyst("rolf", "Rolf");
        using var rolf = _server.Client(key);
        using var unknown = _server.Client("nk_" + new string('0', 64));
        var rating = Ratings(("c-a", new() { ["h1"] = "N" }, null));

        Assert.Equal(HttpStatusCode.Unauthorized, (await Post(_open, $"/api/topics/{Topic}/ratings", rating)).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await Post(unknown, $"/api/topics/{Topic}/ratings", rating)).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await Post(_ingest, $"/api/topics/{Topic}/ratings", rating)).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await Post(_admin, $"/api/topics/{Topic}/ratings", rating)).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await Post(rolf, "/api/admin/analysts", new JsonObject { ["id"] = "x", ["name"] = "X" })).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await rolf.PostAsync("/api/admin/analysts/rolf/rotate", null)).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await Post(rolf, "/api/sources", new JsonObject { ["id"] = "s", ["name"] = "S", ["kind"] = "k", ["reliability"] = "A" })).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await Post(_ingest, "/api/admin/analysts", new JsonObject { ["id"] = "x", ["name"] = "X" })).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await Post(unknown, "/api/admin/analysts", new JsonObject { ["id"] = "x", ["name"] = "X" })).StatusCode);

        var again = await Post(_admin, "/api/admin/analysts", new JsonObject { ["id"] = "rolf", ["name"] = "Rolf again" });
        Assert.Equal(HttpStatusCode.Conflict, again.StatusCode);
        var bad = await Post(_admin, "/api/admin/analysts", new JsonObject { ["id"] = "Not A Slug", ["name"] = "" });
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        var errors = (await bad.Content.ReadFromJsonAsync<JsonObject>())!["errors"]!.AsObject();
        Assert.True(errors.ContainsKey("id") && errors.ContainsKey("name"));
    }

    [Fact]
    public async Task bad_ratings_are_400_naming_the_field_and_write_nothing()
    {
        using var rita = _server.Client(await CreateAnalyst("rita", "Rita"));
        var before = await EventCountAsync();
        foreach (var (body, field) in new (JsonObject, string)[]
        {
            (Ratings(("no-such-claim", new() { ["h1"] = "C" }, null)), "ratings[0].claim"),
            (Ratings(("c-a", new() { ["h9"] = "C" }, null)), "ratings[0].ratings.h9"),
            (Ratings(("c-a", new() { ["h1"] = "C" }, null), ("c-b", new() { ["h1"] = "maybe" }, null)), "ratings[1].ratings.h1"),
            (Ratings(("c-a", new() { ["h1"] = "C" }, 9)), "ratings[0].credibility"),
            (Ratings(("c-a", new(), null)), "ratings[0].ratings"),
            (new JsonObject { ["ratings"] = new JsonArray() }, "ratings"),
        })
        {
            var r = await Post(rita, $"/api/topics/{Topic}/ratings", body);
            Assert.Equal(HttpStatusCode.BadRequest, r.StatusCode);
            var problem = (await r.Content.ReadFromJsonAsync<JsonObject>())!;
            Assert.True(problem["errors"]![field] is not null, $"{field} in {problem.ToJsonString()}");
        }
        Assert.Equal(HttpStatusCode.NotFound, (await Post(rita, "/api/topics/no-such-topic/ratings", Ratings(("c-a", new() { ["h1"] = "C" }, null)))).StatusCode);
        // Text PostgreSQL cannot store is refused before anything is written: a NUL in the note, bytes that are not UTF-8.
        foreach (var (bytes, field, code) in new (byte[], string, string)[]
        {
            ("{\"ratings\":[{\"claim\":\"c-a\",\"ratings\":{\"h1\":\"C\"},\"note\":\"a\\u0000b\"}]}"u8.ToArray(), "ratings[0].note", "nul_character"),
            ([.. "{\"ratings\":[{\"claim\":\"c-a\",\"ratings\":{\"h1\":\"C\"},\"note\":\""u8, 0xC3, 0x28, .. "\"}]}"u8], "$", "invalid_json"),
        })
        {
            using var content = new ByteArrayContent(bytes);
            content.Headers.ContentType = new("application/json");
            var r = await rita.PostAsync($"/api/topics/{Topic}/ratings", content);
            Assert.Equal(HttpStatusCode.BadRequest, r.StatusCode);
            var problem = (await r.Content.ReadFromJsonAsync<JsonObject>())!;
            Assert.Contains(problem["fieldErrors"]!.AsArray(), e => e!["field"]!.GetValue<string>() == field && e["code"]!.GetValue<string>() == code);
        }
        Assert.Equal(before, await EventCountAsync());
    }

    [Fact]
    public async Task analyst_consensus_and_disagreement_views_follow_the_documented_rules_and_keep_earlier_knownAt_answers()
    {
        var keys = new Dictionary<string, string>
        {
            ["alice"] = await CreateAnalyst("alice", "Alice"),
            ["bob"] = await CreateAnalyst("bob", "Bob"),
            ["carol"] = await CreateAnalyst("carol", "Carol"),
        };
        var first = new Dictionary<string, (string Claim, Dictionary<string, string> Ratings, int? Credibility)[]>
        {
            ["alice"] = [("c-a", new() { ["h1"] = "II", ["h2"] = "C" }, 1), ("c-c", new() { ["h1"] = "C", ["h2"] = "I" }, null)],
            ["bob"] = [("c-a", new() { ["h1"] = "I", ["h2"] = "C", ["h3"] = "C" }, null), ("c-b", new() { ["h3"] = "II" }, null)],
            ["carol"] = [("c-a", new() { ["h1"] = "C", ["h2"] = "N" }, null), ("c-c", new() { ["h2"] = "II" }, null)],
        };
        foreach (var (analyst, ratings) in first)
        {
            using var client = _server.Client(keys[analyst]);
            await Ok(Post(client, $"/api/topics/{Topic}/ratings", Ratings(ratings)));
        }
        await _server.CatchUpAsync();
        var model = new Expected(first);
        await CheckAsync(model, "");

        // The analyst's id is the actor of their rating events.
        var events = (await _open.GetFromJsonAsync<JsonObject>("/api/events?limit=1000"))!["events"]!.AsArray();
        var rating = events.Last(e => e!["type"]!.GetValue<string>() == "narrative.rating_recorded.v1" && e["data"]!["analystId"]!.GetValue<string>() == "carol")!;
        Assert.Equal("analyst:carol", rating["metadata"]!["actor"]!.GetValue<string>());

        var before = DateTimeOffset.UtcNow;
        using (var bob = _server.Client(keys["bob"]))
            await Ok(Post(bob, $"/api/topics/{Topic}/ratings", Ratings(("c-a", new() { ["h1"] = "CC", ["h2"] = "I" }, null))));
        await _server.CatchUpAsync();
        var rerated = new Dictionary<string, (string Claim, Dictionary<string, string> Ratings, int? Credibility)[]>(first)
        {
            ["bob"] = [("c-a", new() { ["h1"] = "CC", ["h2"] = "I" }, null), first["bob"][1]],
        };
        var after = new Expected(rerated);
        Assert.NotEqual(model.Consensus("c-a")["h1"], after.Consensus("c-a")["h1"]);
        await CheckAsync(after, "");
        await CheckAsync(model, $"knownAt={Uri.EscapeDataString(before.ToString("O"))}");
    }

    private async Task CheckAsync(Expected model, string query)
    {
        foreach (var analyst in new[] { "alice", "bob", "carol" })
            CheckAssessment(await Get($"/api/topics/{Topic}/assessment?analyst={analyst}&{query}"), model.AnalystView(analyst), analyst);
        CheckAssessment(await Get($"/api/topics/{Topic}/assessment?view=consensus&{query}"), model.ConsensusView(), "consensus");
        CheckAssessment(await Get($"/api/topics/{Topic}/assessment?{query}"), model.DocumentView(), "document");

        var d = await Get($"/api/topics/{Topic}/disagreement?{query}");
        var analysts = d["analysts"]!.AsArray().ToDictionary(a => a!["id"]!.GetValue<string>(), a => a!["leading"]?.GetValue<string>());
        Assert.Equal(["alice", "bob", "carol"], analysts.Keys.Order());
        var consensusLeader = Score(model.ConsensusView()).Leading;
        foreach (var a in analysts.Keys) Assert.Equal(Score(model.AnalystView(a)).Leading, analysts[a]);
        Assert.Equal(consensusLeader, d["consensusLeading"]?.GetValue<string>());
        Assert.Equal(analysts.Values.Any(l => l != consensusLeader), d["leaderDiffers"]!.GetValue<bool>());
        var claims = d["claims"]!.AsArray().ToDictionary(c => c!["claim"]!.GetValue<string>(), c => c!);
        Assert.Equal(model.RatedClaims.Order(), claims.Keys.Order());
        foreach (var (claim, row) in claims)
        {
            Assert.Equal(model.Spread(claim), row["spread"]!.GetValue<int>());
            foreach (var (analyst, ratings) in model.RatingsOf(claim))
                foreach (var (h, v) in ratings) Assert.Equal(v, row["ratings"]![analyst]![h]!.GetValue<string>());
        }
    }

    private static void CheckAssessment(JsonObject a, View view, string by)
    {
        var (plain, weighted, leading) = Score(view);
        Assert.Equal(leading, a["leading"]?.GetValue<string>());
        foreach (var h in a["hypotheses"]!.AsArray())
        {
            var id = h!["id"]!.GetValue<string>();
            Assert.Equal(plain[id], h["inconsistency"]!.GetValue<double>(), 9);
            Assert.Equal(weighted[id], h["weightedInconsistency"]!.GetValue<double>(), 9);
        }
        foreach (var e in a["evidence"]!.AsArray())
        {
            var claim = e!["claim"]!.GetValue<string>();
            var row = view.Rows[claim];
            Assert.Equal(row.By, e["ratingsBy"]!.GetValue<string>());
            foreach (var h in Hypotheses) Assert.Equal(row.Ratings[h], e["ratings"]![h]!.GetValue<string>());
            Assert.Equal(row.Credibility, e["credibility"]!.GetValue<int>());
            if (row.By != "document") Assert.Equal(by, row.By);
        }
    }

    // ---- The documented rules, written out independently of the product's code. ----

    private sealed record Row(Dictionary<string, string> Ratings, int Credibility, double Reliability, string By);

    private sealed record View(Dictionary<string, Row> Rows);

    /// <summary>ACH (DESIGN "Scoring rules"): I → 1, II → 2, each term × r × c; leader lowest weighted, then plain, then id; none when all 0.</summary>
    private static (Dictionary<string, double> Plain, Dictionary<string, double> Weighted, string? Leading) Score(View view)
    {
        static double C(int credibility) => credibility switch { 1 or 2 => Math.Sqrt(2), 4 or 5 => 1 / Math.Sqrt(2), _ => 1 };
        static int Points(string r) => r switch { "I" => 1, "II" => 2, _ => 0 };
        var plain = Hypotheses.ToDictionary(h => h, _ => 0.0);
        var weighted = Hypotheses.ToDictionary(h => h, _ => 0.0);
        foreach (var row in view.Rows.Values)
            foreach (var h in Hypotheses)
            {
                plain[h] += Points(row.Ratings[h]);
                weighted[h] += Points(row.Ratings[h]) * row.Reliability * C(row.Credibility);
            }
        var leading = plain.Values.All(v => v == 0) ? null
            : Hypotheses.OrderBy(h => Math.Round(weighted[h], 9)).ThenBy(h => plain[h]).ThenBy(h => h, StringComparer.Ordinal).First();
        return (plain, weighted, leading);
    }

    private sealed class Expected(Dictionary<string, (string Claim, Dictionary<string, string> Ratings, int? Credibility)[]> byAnalyst)
    {
        private static readonly Dictionary<string, (Dictionary<string, string> Ratings, int Credibility, double Reliability)> Documents =
            Corpus.SelectMany(d => d.Items.Select(i => (i, r: d.Source == "src-b" ? Math.Sqrt(2) : 1.0)))
                .ToDictionary(x => x.i.Claim, x => (x.i.Ratings, x.i.Credibility, x.r));

        public IEnumerable<string> RatedClaims => byAnalyst.Values.SelectMany(r => r.Select(x => x.Claim)).Distinct();

        public IEnumerable<(string Analyst, Dictionary<string, string> Ratings)> RatingsOf(string claim) =>
            byAnalyst.SelectMany(kv => kv.Value.Where(r => r.Claim == claim).Select(r => (kv.Key, r.Ratings)));

        public View DocumentView() => new(Documents.ToDictionary(kv => kv.Key, kv => new Row(kv.Value.Ratings, kv.Value.Credibility, kv.Value.Reliability, "document")));

        /// <summary>The analyst's cells where they rated, the document's elsewhere; their credibility if they gave one.</summary>
        public View AnalystView(string analyst) => new(Documents.ToDictionary(kv => kv.Key, kv =>
        {
            var doc = kv.Value;
            if (byAnalyst[analyst].FirstOrDefault(r => r.Claim == kv.Key) is not { Ratings: not null } mine) return new Row(doc.Ratings, doc.Credibility, doc.Reliability, "document");
            return new Row(Hypotheses.ToDictionary(h => h, h => mine.Ratings.GetValueOrDefault(h) ?? doc.Ratings[h]), mine.Credibility ?? doc.Credibility, doc.Reliability, analyst);
        }));

        public Dictionary<string, string> Consensus(string claim)
        {
            var cells = new Dictionary<string, string>();
            foreach (var h in Hypotheses)
            {
                var values = RatingsOf(claim).Where(r => r.Ratings.ContainsKey(h)).Select(r => Scale(r.Ratings[h])).Order().ToList();
                if (values.Count == 0) continue;
                var n = values.Count;
                // Median; an even count's middle two averaged and rounded toward N (0).
                var m = n % 2 == 1 ? values[n / 2] : Math.Truncate((values[n / 2 - 1] + values[n / 2]) / 2.0);
                cells[h] = Unscale((int)m);
            }
            return cells;
        }

        public View ConsensusView() => new(Documents.ToDictionary(kv => kv.Key, kv =>
        {
            var c = Consensus(kv.Key);
            return new Row(Hypotheses.ToDictionary(h => h, h => c.GetValueOrDefault(h) ?? kv.Value.Ratings[h]), kv.Value.Credibility, kv.Value.Reliability,
                c.Count > 0 ? "consensus" : "document");
        }));

        public int Spread(string claim) => Hypotheses
            .Select(h => RatingsOf(claim).Where(r => r.Ratings.ContainsKey(h)).Select(r => Scale(r.Ratings[h])).ToList())
            .Select(v => v.Count < 2 ? 0 : v.Max() - v.Min()).Max();

        private static int Scale(string r) => r switch { "CC" => 2, "C" => 1, "N" => 0, "I" => -1, _ => -2 };

        private static string Unscale(int v) => v switch { 2 => "CC", 1 => "C", 0 => "N", -1 => "I", _ => "II" };
    }

    // ---- Helpers ----

    private async Task<string> CreateAnalyst(string id, string name)
    {
        var r = await Post(_admin, "/api/admin/analysts", new JsonObject { ["id"] = id, ["name"] = name });
        Assert.Equal(HttpStatusCode.Created, r.StatusCode);
        var body = (await r.Content.ReadFromJsonAsync<JsonObject>())!;
        Assert.Equal(id, body["id"]!.GetValue<string>());
        return body["key"]!.GetValue<string>();
    }

    private static JsonObject Ratings(params (string Claim, Dictionary<string, string> Ratings, int? Credibility)[] ratings) => new()
    {
        ["ratings"] = new JsonArray([.. ratings.Select(r =>
        {
            var o = new JsonObject { ["claim"] = r.Claim, ["ratings"] = new JsonObject([.. r.Ratings.Select(kv => KeyValuePair.Create(kv.Key, (JsonNode?)kv.Value))]) };
            if (r.Credibility is { } c) o["credibility"] = c;
            return (JsonNode)o;
        })]),
    };

    private static Task<HttpResponseMessage> Post(HttpClient client, string path, JsonNode body) =>
        client.PostAsync(path, new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json"));

    private static async Task Ok(Task<HttpResponseMessage> call)
    {
        var r = await call;
        Assert.True(r.IsSuccessStatusCode, $"{(int)r.StatusCode}: {await r.Content.ReadAsStringAsync()}");
    }

    private async Task<JsonObject> Get(string path)
    {
        var r = await _open.GetAsync(path);
        Assert.True(r.IsSuccessStatusCode, $"{path} → {(int)r.StatusCode}: {await r.Content.ReadAsStringAsync()}");
        return (await r.Content.ReadFromJsonAsync<JsonObject>())!;
    }

    private async Task<long> EventCountAsync()
    {
        await using var cmd = _server.Services.DataSource.CreateCommand("select count(*) from narrative.mt_events where coalesce(user_name, '') not like 'handler:%'");
        return (long)(await cmd.ExecuteScalarAsync())!;
    }

    /// <summary>How many rows of any table in the database hold <paramref name="text"/> anywhere in them.</summary>
    private async Task<long> RowsContainingAsync(string text)
    {
        var tables = new List<string>();
        await using (var cmd = _server.Services.DataSource.CreateCommand(
            "select format('%I.%I', table_schema, table_name) from information_schema.tables where table_type = 'BASE TABLE' and table_schema not in ('pg_catalog', 'information_schema')"))
        await using (var r = await cmd.ExecuteReaderAsync())
            while (await r.ReadAsync()) tables.Add(r.GetString(0));
        long total = 0;
        foreach (var t in tables)
        {
            await using var cmd = _server.Services.DataSource.CreateCommand($"select count(*) from {t} x where strpos(x::text, $1) > 0");
            cmd.Parameters.Add(new() { Value = text });
            total += (long)(await cmd.ExecuteScalarAsync())!;
        }
        return total;
    }

    /// <summary>Writes to the console as before and keeps a copy of everything written.</summary>
    private sealed class TeeWriter(TextWriter first, TextWriter second) : TextWriter
    {
        public override Encoding Encoding => first.Encoding;

        public override void Write(char value)
        {
            first.Write(value);
            lock (second) second.Write(value);
        }

        public override void Write(string? value)
        {
            first.Write(value);
            lock (second) second.Write(value);
        }
    }
}
