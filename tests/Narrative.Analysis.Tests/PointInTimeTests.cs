using Narrative.Analysis.Audit;
using Narrative.Analysis.Ingestion;
using Narrative.Domain.Corpus;
using Narrative.Domain.Replay;
using Narrative.Testing;

namespace Narrative.Analysis.Tests;

/// <summary>The read model (indexed point-in-time SQL) against the audit path (a replay of the log), and corrections in system time.</summary>
[Collection(PostgresCollection.Name)]
public sealed class PointInTimeTests(PostgresFixture pg) : IAsyncLifetime
{
    private const string Topic = "putin-ceasefire-stance";
    private AnalysisHarness _h = null!;

    public async Task InitializeAsync()
    {
        _h = await AnalysisHarness.StartAsync(pg);
        await _h.IngestSeedsAsync();
        await _h.CatchUpAsync();
    }

    public async Task DisposeAsync() => await _h.DisposeAsync();

    private async Task<IReadOnlyList<string>> ItemIds()
    {
        var a = await _h.Services.Queries.AssessAsync(Topic, DateTimeOffset.UtcNow, DateTimeOffset.UtcNow, default);
        return a!.Evidence.Select(e => e.ItemId).ToList();
    }

    private Task<Narrative.Analysis.Ingestion.IngestResult> Correct(string itemId, IReadOnlyDictionary<string, string>? ratings, int? credibility, bool? retract)
    {
        return _h.Services.Ingestion.CorrectAsync(DocumentOf(itemId), new CorrectionInput("test correction",
            [new CorrectionItemInput(itemId, ratings, credibility, retract)]), AnalysisHarness.Tests, default);
    }

    private readonly Dictionary<string, string> _docs = new(StringComparer.Ordinal);

    private string DocumentOf(string itemId) => _docs[itemId];

    private async Task LoadDocs()
    {
        var a = await _h.Services.Queries.AssessAsync(Topic, DateTimeOffset.UtcNow, DateTimeOffset.UtcNow, default);
        foreach (var e in a!.Evidence) _docs[e.ItemId] = e.DocumentId;
    }

    [Fact]
    public async Task read_model_answers_and_sensitivities_equal_the_replay_for_200_random_as_of_and_known_at_pairs()
    {
        await LoadDocs();
        var rng = new Random(20240531);
        var items = await ItemIds();
        var ratings = new[] { "CC", "C", "N", "I", "II" };
        var marks = new List<DateTimeOffset> { DateTimeOffset.UtcNow };
        // Random corrections, each a new system time.
        for (var i = 0; i < 12; i++)
        {
            await Task.Delay(15);
            var item = items[rng.Next(items.Count)];
            var r = i % 5 == 4
                ? await Correct(item, null, null, true)
                : await Correct(item, new Dictionary<string, string> { ["genuine"] = ratings[rng.Next(5)], ["feigned"] = ratings[rng.Next(5)], ["maximalist"] = ratings[rng.Next(5)] },
                    rng.Next(2) == 0 ? rng.Next(1, 7) : null, null);
            Assert.True(r.Status is Narrative.Analysis.Ingestion.IngestStatus.Created or Narrative.Analysis.Ingestion.IngestStatus.Invalid, $"{r.Status} {string.Join(";", r.Errors)}");
            marks.Add(DateTimeOffset.UtcNow);
        }
        await _h.CatchUpAsync();
        var world = await _h.ReplayAsync();
        var firstRecorded = marks[0].AddMinutes(-1);
        // The services answer from the topic cache (the whole topic in memory, filtered by the pure functions); this
        // one reads the slice for each question with the time filters in SQL. Both must equal the replay.
        var uncached = new Narrative.Analysis.Queries.AnalysisQueries(_h.Services.DataSource, cachedTopics: 0);

        for (var i = 0; i < 200; i++)
        {
            var asOf = WorldQueries.EndOfDay(new DateOnly(2023, 11, 1).AddDays(rng.Next(0, 240)));
            // knownAt: before any event, between corrections, or now.
            var knownAt = rng.Next(10) == 0 ? firstRecorded.AddDays(-1) : marks[rng.Next(marks.Count)].AddMilliseconds(rng.Next(-5, 5));
            var fromSql = await _h.Services.Queries.AssessAsync(Topic, asOf, knownAt, default);
            var fromReplay = WorldQueries.Assess(world, Topic, asOf, knownAt);
            Assert.True(AuditService.Same(fromSql, fromReplay), $"assessment differs at asOf={asOf:O} knownAt={knownAt:O}: {FirstDifference(fromSql, fromReplay)}");
            Assert.True(AuditService.Same(await uncached.AssessAsync(Topic, asOf, knownAt, default), fromReplay),
                $"uncached assessment differs at asOf={asOf:O} knownAt={knownAt:O}");

            var sensitivity = WorldQueries.Sensitivity(world, Topic, asOf, knownAt);
            Assert.True(AuditService.Same(await _h.Services.Queries.SensitivityAsync(Topic, asOf, knownAt, default), sensitivity),
                $"sensitivity differs at asOf={asOf:O} knownAt={knownAt:O}");
            Assert.True(AuditService.Same(await uncached.SensitivityAsync(Topic, asOf, knownAt, default), sensitivity),
                $"uncached sensitivity differs at asOf={asOf:O} knownAt={knownAt:O}");

            if (i % 4 == 0)
            {
                Assert.True(AuditService.Same(await _h.Services.Queries.CoincidenceAsync(Topic, asOf, knownAt, default), WorldQueries.Coincidence(world, Topic, asOf, knownAt)));
                Assert.True(AuditService.Same(await uncached.CoincidenceAsync(Topic, asOf, knownAt, default), WorldQueries.Coincidence(world, Topic, asOf, knownAt)));
                Assert.True(AuditService.Same(await _h.Services.Queries.TimingAsync(Topic, asOf, knownAt, 14, default), WorldQueries.Timing(world, Topic, asOf, knownAt, 14)));
                Assert.True(AuditService.Same(await uncached.TimingAsync(Topic, asOf, knownAt, 7, default), WorldQueries.Timing(world, Topic, asOf, knownAt, 7)));
                Assert.True(AuditService.Same(await _h.Services.Queries.ProvenanceAsync("putin-private-openness-to-freeze", asOf, knownAt, default),
                    WorldQueries.Provenance(world, "putin-private-openness-to-freeze", asOf, knownAt)));
            }
        }
    }

    [Fact]
    public async Task the_topic_cache_serves_repeat_questions_from_memory_and_rereads_when_the_read_model_moves()
    {
        await LoadDocs();
        // Reactions to earlier tests' corrections append events of their own; the read model must hold still first.
        await _h.SettleHandlersAsync();
        await _h.CatchUpAsync();
        var cache = _h.Services.Queries.Cache!;
        var asOf = WorldQueries.EndOfDay(new DateOnly(2024, 5, 31));
        var before = DateTimeOffset.UtcNow;
        var first = (await _h.Services.Queries.AssessAsync(Topic, asOf, before, default))!;
        var (hits, misses) = (cache.Hits, cache.Misses);

        // Nothing changed: the other dates come from memory.
        var early = await _h.Services.Queries.AssessAsync(Topic, WorldQueries.EndOfDay(new DateOnly(2024, 1, 31)), before, default);
        Assert.True(AuditService.Same(first, await _h.Services.Queries.AssessAsync(Topic, asOf, before, default)));
        Assert.Equal((hits + 2, misses), (cache.Hits, cache.Misses));
        Assert.NotEqual(first.Evidence.Count, early!.Evidence.Count);

        // A correction moves the read model: the next question reads the slice again and sees it.
        await Task.Delay(20);
        var target = first.Evidence.First(e => e.Scored);
        Assert.Equal(Narrative.Analysis.Ingestion.IngestStatus.Created, (await Correct(target.ItemId, null, null, true)).Status);
        await _h.CatchUpAsync();
        var now = (await _h.Services.Queries.AssessAsync(Topic, asOf, DateTimeOffset.UtcNow, default))!;
        Assert.Equal(misses + 1, cache.Misses);
        Assert.DoesNotContain(now.Evidence, e => e.ItemId == target.ItemId);
        Assert.True(AuditService.Same(first, await _h.Services.Queries.AssessAsync(Topic, asOf, before, default)));

        // A rebuild swaps in a new schema at the same progression: the cache does not trust the old rows either.
        misses = cache.Misses;
        await _h.RebuildAsync(_h.Services.Projection);
        var rebuilt = (await _h.Services.Queries.AssessAsync(Topic, asOf, DateTimeOffset.UtcNow, default))!;
        Assert.Equal(misses + 1, cache.Misses);
        Assert.True(AuditService.Same(now with { KnownAt = rebuilt.KnownAt }, rebuilt));
    }

    [Fact]
    public async Task a_correction_changes_answers_known_after_it_and_not_before_it()
    {
        await LoadDocs();
        var asOf = WorldQueries.EndOfDay(new DateOnly(2024, 5, 31));
        var before = DateTimeOffset.UtcNow;
        var original = (await _h.Services.Queries.AssessAsync(Topic, asOf, before, default))!;
        var target = original.Evidence.First(e => e.Scored && e.Ratings["feigned"] is "C" or "CC");
        await Task.Delay(20);

        var r = await Correct(target.ItemId, new Dictionary<string, string> { ["genuine"] = "CC", ["feigned"] = "II", ["maximalist"] = "II" }, 1, null);
        Assert.Equal(Narrative.Analysis.Ingestion.IngestStatus.Created, r.Status);
        await _h.CatchUpAsync();

        var then = (await _h.Services.Queries.AssessAsync(Topic, asOf, before, default))!;
        var now = (await _h.Services.Queries.AssessAsync(Topic, asOf, DateTimeOffset.UtcNow, default))!;
        Assert.True(AuditService.Same(original, then));
        var feignedBefore = original.Hypotheses.Single(h => h.Id == "feigned");
        var feignedNow = now.Hypotheses.Single(h => h.Id == "feigned");
        // II at credibility 1 from its source: 2 × r × √2 added to feigned.
        Assert.Equal(feignedBefore.Inconsistency + 2, feignedNow.Inconsistency);
        Assert.True(feignedNow.WeightedInconsistency > feignedBefore.WeightedInconsistency + 2);
        Assert.Equal(["CC", "II", "II"], new[] { "genuine", "feigned", "maximalist" }.Select(h => now.Evidence.Single(e => e.ItemId == target.ItemId).Ratings[h]));

        // History is appended, never edited: the original ItemRecorded is still in the stream, followed by the re-rating.
        var stream = await _h.Services.Log.ReadStreamAsync($"document-{target.DocumentId}", default);
        Assert.Equal("narrative.item_rerated.v1", stream[^1].Type);
        Assert.Contains(stream, e => e.Type == "narrative.item_recorded.v1" && e.DataJson.Contains(target.ItemId, StringComparison.Ordinal));
        Assert.Empty(await _h.Services.Log.VerifyAsync(default));
    }

    [Fact]
    public async Task a_rebuild_gives_exactly_the_read_model_that_incremental_processing_gave()
    {
        await LoadDocs();
        var items = await ItemIds();
        await Correct(items[3], new Dictionary<string, string> { ["genuine"] = "I", ["feigned"] = "C", ["maximalist"] = "C" }, 2, null);
        await Correct(items[5], null, null, true);
        // A chain: re-rated twice, then retracted; and a credibility-only re-rating.
        foreach (var (item, ratings, credibility, retract) in new (string, Dictionary<string, string>?, int?, bool?)[]
                 {
                     (items[8], new() { ["genuine"] = "II", ["feigned"] = "C", ["maximalist"] = "N" }, null, null),
                     (items[8], new() { ["genuine"] = "I", ["feigned"] = "CC", ["maximalist"] = "N" }, 4, null),
                     (items[8], null, null, true), (items[9], null, 5, null),
                 })
        {
            var result = await Correct(item, ratings, credibility, retract);
            Assert.True(result.Events > 0, $"{result.Status} {result.Message} {string.Join("; ", result.Errors)}");
        }
        // A repeated ItemRecorded (appended straight to the log, as no API would): both paths keep the first.
        var original = (await _h.Services.Log.ReadStreamAsync($"document-{DocumentOf(items[10])}", default))
            .First(e => e.Type == "narrative.item_recorded.v1" && e.DataJson.Contains($"\"{items[10]}\"", StringComparison.Ordinal));
        var repeat = (Narrative.Domain.ItemRecorded)_h.Services.Log.Deserialize(original)!;
        await _h.Services.Log.AppendAsync("test-repeated-item", Narrative.Storage.ExpectedVersion.Any,
            [new Narrative.Storage.EventData(Guid.NewGuid(), repeat with { Claim = "a-different-claim", Rebuts = [items[0]] })], default);
        await _h.CatchUpAsync();
        var before = await Dump();
        var indexes = await Indexes("rm_analysis");

        await _h.RebuildAsync(_h.Services.Projection, batchSize: 17);
        var after = await Dump();

        Assert.Equal(before.Count, after.Count);
        Assert.Equal(before, after);
        Assert.Contains(after, l => l.StartsWith("item_versions", StringComparison.Ordinal) && l.Contains("test correction", StringComparison.Ordinal));
        Assert.Equal(2, after.Count(l => l.StartsWith("item_versions", StringComparison.Ordinal) && l.Contains(items[8], StringComparison.Ordinal)));
        Assert.DoesNotContain(after, l => l.Contains("a-different-claim", StringComparison.Ordinal));
        // With one-bit fingerprints almost every item id shares one with another, so the loader's memory says "maybe
        // held" for nearly all of them; the checks behind it (the items' key, the link statement) must give the same rows.
        await _h.RebuildAsync(new Narrative.Analysis.ReadModel.AnalysisProjection { RebuildFingerprintBits = 1 }, batchSize: 17);
        Assert.Equal(before, await Dump());
        // The rebuild loads without indexes and builds them afterwards: the swapped-in schema has the same ones.
        Assert.Equal(13, indexes.Count);
        Assert.Equal(indexes, await Indexes("rm_analysis"));
        // Keys are unique indexes (an ALTER TABLE … ADD PRIMARY KEY would lock items while its other indexes build).
        Assert.Contains("CREATE UNIQUE INDEX items_pkey ON rm_analysis.items USING btree (item_id)", indexes);
        Assert.Equal(10, indexes.Count(i => i.StartsWith("CREATE UNIQUE INDEX", StringComparison.Ordinal)));
        // Autovacuum is off for the shadow tables while they load, and back on once they are live.
        await using var options = _h.Services.DataSource.CreateCommand(
            "select count(*) from pg_class where relnamespace = 'rm_analysis'::regnamespace and relkind = 'r' and reloptions is not null");
        Assert.Equal(0L, await options.ExecuteScalarAsync());
    }

    [Fact]
    public async Task a_rebuild_copies_escaped_unicode_null_and_legacy_shaped_items_exactly_as_the_live_path_wrote_them()
    {
        // The rebuild copies item JSON straight into rows; these are the values where that could go wrong.
        var seeded = await ItemIds();
        var tricky = new[]
        {
            "quotes \"inside\", a back\\slash, a tab\tand a\nnew line",
            "Путин: «перемирие» — 停火 🕊️ <b>&amp;</b> 'single' \u0001",
            "non\u00A0breaking and zero\u200Bwidth",
        };
        var items = tricky.Select((text, i) => new ItemInput($"tricky-{i}", Topic, i switch { 0 => "rebuttal", 1 => "statement", _ => "report" }, $"tricky-claim-{i}", text,
            i == 0 ? null : text, i == 2 ? null : $"Пресс-секретарь {i}", i == 1 ? "2024-02-29" : null, 2 + i,
            new Dictionary<string, string> { ["genuine"] = "C", ["feigned"] = i == 1 ? "II" : "I", ["conditional"] = "N", ["maximalist"] = "N" },
            i == 0 ? [seeded[0], seeded[1], seeded[0]] : [], i == 1 ? "note: \"ü\" \\ end" : null)).ToList();
        var doc = await _h.Services.Ingestion.IngestDocumentAsync(new DocumentInput("tricky-doc", "nyt", "2024-03-01", "Заголовок \"x\"", null,
            ["Автор"], [], items), 1000, AnalysisHarness.Tests, default);
        Assert.True(doc.Status == Narrative.Analysis.Ingestion.IngestStatus.Created, string.Join("; ", doc.Errors));

        // An item written by an older serialiser: an extra field and the credibility as a string. The ordinary
        // deserialiser accepts both (and the live path used it); the rebuild's fast path must hand it over to it.
        // Marten writes what its serialiser makes of an ItemRecorded, so the legacy JSON replaces it inside the append's
        // own transaction: the daemon never sees the modern shape.
        await using (var conn = await _h.Services.DataSource.OpenConnectionAsync())
        await using (var tx = await conn.BeginTransactionAsync())
        {
            var id = Guid.NewGuid();
            await _h.Services.Log.AppendAsync(conn, tx, "test-legacy-item", Narrative.Storage.ExpectedVersion.Any,
                [new Narrative.Storage.EventData(id, new Narrative.Domain.ItemRecorded("legacy-1", "tricky-doc", "nyt", new DateOnly(2024, 3, 1), Topic,
                    "rebuttal", "legacy-claim", "written by an older version", null, null, null, 4,
                    new Dictionary<string, string> { ["genuine"] = "N", ["feigned"] = "C", ["maximalist"] = "N" }, [seeded[2]], null))], default);
            var legacy = System.Text.Json.JsonSerializer.Serialize(new LegacyItemRecorded("legacy-1", "tricky-doc", "nyt", new DateOnly(2024, 3, 1), Topic,
                "rebuttal", "legacy-claim", "written by an older version", null, null, null, "4",
                new Dictionary<string, string> { ["genuine"] = "N", ["feigned"] = "C", ["maximalist"] = "N" }, [seeded[2]], null, "dropped since"), NarrativeEvents.Json);
            await using (var rewrite = new Npgsql.NpgsqlCommand("update narrative.mt_events set data = $1::jsonb where id = $2", conn, tx))
            {
                rewrite.Parameters.Add(new() { Value = legacy });
                rewrite.Parameters.Add(new() { Value = id });
                Assert.Equal(1, await rewrite.ExecuteNonQueryAsync());
            }
            await tx.CommitAsync();
        }
        using (var stored = System.Text.Json.JsonDocument.Parse((await _h.Services.Log.ReadStreamAsync("test-legacy-item", default)).Single().DataJson))
            Assert.Equal("4", stored.RootElement.GetProperty("credibility").GetString());
        await _h.CatchUpAsync();
        var before = await Dump();

        await _h.RebuildAsync(_h.Services.Projection, batchSize: 5);
        var after = await Dump();

        Assert.Equal(before, after);
        var rows = after.Where(l => l.StartsWith("items (tricky-", StringComparison.Ordinal) || l.StartsWith("items (legacy-1", StringComparison.Ordinal)).ToList();
        Assert.Equal(4, rows.Count);
        Assert.Contains(rows, l => l.Contains("🕊️", StringComparison.Ordinal) && l.Contains("Путин", StringComparison.Ordinal));
        Assert.Contains(rows, l => l.StartsWith("items (legacy-1", StringComparison.Ordinal) && l.EndsWith(",4,,,,)", StringComparison.Ordinal));
        Assert.Equal(3, after.Count(l => l.StartsWith("rebuttals", StringComparison.Ordinal) && (l.Contains("tricky-0", StringComparison.Ordinal) || l.Contains("legacy-1", StringComparison.Ordinal))));
    }

    /// <summary>An ItemRecorded as an older serialiser might have written it (see the test above).</summary>
    private sealed record LegacyItemRecorded(
        string ItemId, string DocumentId, string Source, DateOnly PublishedAt, string Topic, string Type, string Claim,
        string Summary, string? Quote, string? AttributedTo, DateOnly? OccurredAt, string Credibility,
        IReadOnlyDictionary<string, string> Ratings, IReadOnlyList<string> Rebuts, string? Note, string LegacyField);

    private async Task<List<string>> Indexes(string schema)
    {
        await using var cmd = _h.Services.DataSource.CreateCommand("select indexdef from pg_indexes where schemaname = $1 order by indexdef");
        cmd.Parameters.Add(new() { Value = schema });
        var list = new List<string>();
        await using var r = await cmd.ExecuteReaderAsync();
        while (await r.ReadAsync()) list.Add(r.GetString(0));
        return list;
    }

    private async Task<List<string>> Dump()
    {
        var lines = new List<string>();
        foreach (var (table, order) in new[] { ("sources", "source_id, position"), ("topics", "topic_id, position"), ("context_periods", "period_id, position"),
                     ("documents", "document_id, position"), ("items", "item_id"), ("item_versions", "item_id, from_position"), ("rebuttals", "target, item_id"),
                     ("topic_links", "topic, item_id"), ("analyst_ratings", "position") })
        {
            await using var cmd = _h.Services.DataSource.CreateCommand($"select t::text from rm_analysis.{table} t order by {order}");
            await using var r = await cmd.ExecuteReaderAsync();
            while (await r.ReadAsync()) lines.Add($"{table} {r.GetString(0)}");
        }
        return lines;
    }

    /// <summary>Where two answers' JSON first differ, with some context, for a failure message.</summary>
    private static string FirstDifference<T>(T a, T b)
    {
        var (x, y) = (System.Text.Json.JsonSerializer.Serialize(a, NarrativeEvents.Json), System.Text.Json.JsonSerializer.Serialize(b, NarrativeEvents.Json));
        var n = 0;
        while (n < Math.Min(x.Length, y.Length) && x[n] == y[n]) n++;
        var from = Math.Max(0, n - 120);
        return $"read model …{x[from..Math.Min(x.Length, n + 80)]} | replay …{y[from..Math.Min(y.Length, n + 80)]}";
    }
}
