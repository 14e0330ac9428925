using System.Collections.Immutable;
using System.Text.Json;
using Narrative.Analysis.ReadModel;
using Narrative.Domain;
using Narrative.Domain.Analysts;
using Narrative.Domain.Replay;
using Npgsql;

namespace Narrative.Analysis.Queries;

/// <summary>
/// Loads, with indexed point-in-time SQL on the read model, exactly the part of the world an answer needs:
/// rows recorded by knownAt (system time) and, for items, published by asOf (world time). The answer is then
/// computed by the same pure functions the audit replay uses (<see cref="WorldQueries"/>), so the read path and
/// the replay path can only differ if the read model is wrong, which the tests check.
/// </summary>
public sealed class WorldSlice(NpgsqlDataSource db)
{
    private const string S = AnalysisProjection.LiveSchema;

    /// <summary>
    /// Items of a topic plus those of other topics that share their claims or rebut them (for provenance and contested
    /// flags): the topic's rows from one range scan of (topic, published_at, recorded_at), the others by key through
    /// topic_links. The links cover all time; the others are filtered by (asOf, knownAt) like every row, and an item of
    /// another topic whose partner is not visible changes no answer.
    /// </summary>
    public async Task<NarrativeWorld> ForTopicAsync(string topic, DateOnly asOf, DateTimeOffset knownAt, CancellationToken ct) =>
        (await LoadTopicAsync(topic, asOf, knownAt, ct)).World;

    /// <summary>
    /// Everything any answer about the topic can need, at every world and system time, with the read-model state it
    /// was read at (in the same snapshot). For <see cref="TopicWorldCache"/>.
    /// </summary>
    public Task<(NarrativeWorld World, ReadModelState State)> WholeTopicAsync(string topic, CancellationToken ct) =>
        LoadTopicAsync(topic, DateOnly.MaxValue, Forever, ct);

    // The latest system time PostgreSQL and .NET agree on; later than any recorded_at.
    private static readonly DateTimeOffset Forever = new(9999, 12, 31, 0, 0, 0, TimeSpan.Zero);

    private Task<(NarrativeWorld World, ReadModelState State)> LoadTopicAsync(string topic, DateOnly asOf, DateTimeOffset knownAt, CancellationToken ct) =>
        LoadAsync($"""
            select {ItemColumns} from {S}.items where topic = $1 and published_at <= $2 and recorded_at <= $3
            union all
            select {ItemColumns} from {S}.items
            where item_id in (select item_id from {S}.topic_links where topic = $1) and published_at <= $2 and recorded_at <= $3
            """, $"select {RatingColumns} from {S}.analyst_ratings where topic = $1 and recorded_at <= $2 order by position", topic, asOf, knownAt, ct);

    public async Task<NarrativeWorld> ForClaimAsync(string claim, DateOnly asOf, DateTimeOffset knownAt, CancellationToken ct) =>
        (await LoadAsync($"""
            select {ItemColumns} from {S}.items
            where claim = $1 and published_at <= $2 and recorded_at <= $3
            """, $"select {RatingColumns} from {S}.analyst_ratings where claim = $1 and recorded_at <= $2 order by position", claim, asOf, knownAt, ct)).World;

    private const string RatingColumns = "analyst_id, topic, claim, position, recorded_at, ratings::text, credibility, note";

    // Summaries, quotes and notes are not part of any computed answer, so the hot path does not fetch them.
    // The item's own ratings are its first version; re-ratings are read separately (they are rare).
    private const string ItemColumns = """
        item_id, document_id, source, topic, type, claim, published_at, position, recorded_at, occurred_at, rebuts,
        retracted_position, retracted_at, retraction_reason, ratings::text as ratings, credibility, speaker
        """;

    private async Task<(NarrativeWorld World, ReadModelState State)> LoadAsync(string itemSql, string ratingSql, string key, DateOnly asOf,
        DateTimeOffset knownAt, CancellationToken ct)
    {
        await using var conn = await db.OpenConnectionAsync(ct);
        // One snapshot for all reads, so the slice is consistent even while the daemon writes.
        await using var tx = await conn.BeginTransactionAsync(System.Data.IsolationLevel.RepeatableRead, ct);
        // A point query over a few thousand rows: parallel workers cost more than they save on a small machine.
        await using (var settings = new NpgsqlCommand("set local work_mem = '64MB'; set local max_parallel_workers_per_gather = 0", conn, tx))
            await settings.ExecuteNonQueryAsync(ct);
        await using var batch = new NpgsqlBatch(conn, tx)
        {
            BatchCommands =
            {
                new($"select topic_id, position, recorded_at, title, period_start, period_end, hypotheses::text, revision::text from {S}.topics where recorded_at <= $1 order by position")
                    { Parameters = { new() { Value = knownAt } } },
                new($"select source_id, position, recorded_at, name, kind, reliability, rationale from {S}.sources where recorded_at <= $1 order by position")
                    { Parameters = { new() { Value = knownAt } } },
                new($"select period_id, position, recorded_at, label, category, start_date, end_date, decision_at from {S}.context_periods where recorded_at <= $1 order by position")
                    { Parameters = { new() { Value = knownAt } } },
                new(itemSql) { Parameters = { new() { Value = key }, new() { Value = asOf }, new() { Value = knownAt } } },
                new(ratingSql) { Parameters = { new() { Value = key }, new() { Value = knownAt } } },
                new(ReadModelState.Sql),
                new($"select topic, position, recorded_at, kind, data::text from {S}.signposts where topic = $1 and recorded_at <= $2 order by position")
                    { Parameters = { new() { Value = key }, new() { Value = knownAt } } },
            },
        };
        var revisions = ImmutableDictionary.CreateBuilder<string, ImmutableList<Versioned<HypothesesRevised>>>(StringComparer.Ordinal);
        var signposts = ImmutableDictionary.CreateBuilder<string, ImmutableList<Versioned<object>>>(StringComparer.Ordinal);
        ReadModelState state;
        var topics = ImmutableDictionary.CreateBuilder<string, ImmutableList<Versioned<TopicOpened>>>(StringComparer.Ordinal);
        var sources = ImmutableDictionary.CreateBuilder<string, ImmutableList<Versioned<SourceRegistered>>>(StringComparer.Ordinal);
        var periods = ImmutableDictionary.CreateBuilder<string, ImmutableList<Versioned<ContextPeriodRecorded>>>(StringComparer.Ordinal);
        var documents = ImmutableDictionary.CreateBuilder<string, ImmutableList<Versioned<DocumentIngested>>>(StringComparer.Ordinal);
        var recorded = new List<(ItemRecorded Item, long Position, DateTimeOffset At, long? RetractedPosition, DateTimeOffset? RetractedAt, string? Reason)>();
        // Items share a few hundred distinct ratings objects; each is parsed once (the parsed maps are immutable).
        var parsed = new Dictionary<string, ImmutableSortedDictionary<string, string>>(StringComparer.Ordinal);
        ImmutableSortedDictionary<string, string> Ratings(string json)
        {
            if (!parsed.TryGetValue(json, out var ratings)) parsed[json] = ratings = RatingsJson.Parse(json);
            return ratings;
        }
        var analystRatings = ImmutableDictionary.CreateBuilder<string, ImmutableList<AnalystRating>>(StringComparer.Ordinal);
        var rerated = new Dictionary<string, List<(long Position, DateTimeOffset At, IReadOnlyDictionary<string, string> Ratings, int Credibility, string? Reason)>>(StringComparer.Ordinal);
        await using (var r = await batch.ExecuteReaderAsync(ct))
        {
            while (await r.ReadAsync(ct))
            {
                Add(topics, r.GetString(0), new Versioned<TopicOpened>(r.GetInt64(1), At(r, 2), new TopicOpened(r.GetString(0), r.GetString(3),
                    r.GetFieldValue<DateOnly>(4), r.GetFieldValue<DateOnly>(5),
                    JsonSerializer.Deserialize<List<Hypothesis>>(r.GetString(6), NarrativeEvents.Json)!)));
                if (Text(r, 7) is { } revision)
                    Add(revisions, r.GetString(0), new Versioned<HypothesesRevised>(r.GetInt64(1), At(r, 2),
                        JsonSerializer.Deserialize<HypothesesRevised>(revision, NarrativeEvents.Json)!));
            }
            await r.NextResultAsync(ct);
            while (await r.ReadAsync(ct))
                Add(sources, r.GetString(0), new Versioned<SourceRegistered>(r.GetInt64(1), At(r, 2),
                    new SourceRegistered(r.GetString(0), r.GetString(3), r.GetString(4), r.GetString(5), Text(r, 6))));
            await r.NextResultAsync(ct);
            while (await r.ReadAsync(ct))
                Add(periods, r.GetString(0), new Versioned<ContextPeriodRecorded>(r.GetInt64(1), At(r, 2),
                    new ContextPeriodRecorded(r.GetString(0), r.GetString(3), r.GetString(4), r.GetFieldValue<DateOnly>(5), r.GetFieldValue<DateOnly>(6),
                        r.IsDBNull(7) ? null : r.GetFieldValue<DateOnly>(7))));
            await r.NextResultAsync(ct);
            while (await r.ReadAsync(ct))
            {
                var item = new ItemRecorded(r.GetString(0), r.GetString(1), r.GetString(2), r.GetFieldValue<DateOnly>(6), r.GetString(3), r.GetString(4),
                    r.GetString(5), "", null, null, r.IsDBNull(9) ? null : r.GetFieldValue<DateOnly>(9),
                    r.GetInt32(15), Ratings(r.GetString(14)), r.GetFieldValue<string[]>(10), null, Text(r, 16));
                recorded.Add((item, r.GetInt64(7), At(r, 8), r.IsDBNull(11) ? null : r.GetInt64(11), r.IsDBNull(12) ? null : At(r, 12), Text(r, 13)));
            }
            await r.NextResultAsync(ct);
            while (await r.ReadAsync(ct))
            {
                var rating = new AnalystRating(r.GetInt64(3), At(r, 4), r.GetString(0), r.GetString(1), r.GetString(2), Ratings(r.GetString(5)),
                    r.IsDBNull(6) ? null : r.GetInt32(6), Text(r, 7));
                analystRatings[rating.Topic] = (analystRatings.GetValueOrDefault(rating.Topic) ?? []).Add(rating);
            }
            await r.NextResultAsync(ct);
            state = await ReadModelState.ReadAsync(r, ct);
            await r.NextResultAsync(ct);
            while (await r.ReadAsync(ct))
                Add(signposts, r.GetString(0), new Versioned<object>(r.GetInt64(1), At(r, 2), r.GetString(3) switch
                {
                    "set" => JsonSerializer.Deserialize<SignpostSet>(r.GetString(4), NarrativeEvents.Json)!,
                    "matched" => JsonSerializer.Deserialize<SignpostMatched>(r.GetString(4), NarrativeEvents.Json)!,
                    _ => (object)JsonSerializer.Deserialize<SignpostExpired>(r.GetString(4), NarrativeEvents.Json)!,
                }));
        }

        // Re-ratings recorded by knownAt (every one counts among the events an answer used, as in the replay).
        await using (var v = new NpgsqlCommand($"""
            select item_id, from_position, from_recorded_at, ratings::text, credibility, reason from {S}.item_versions
            where item_id = any($1) and from_recorded_at <= $2 order by item_id, from_position
            """, conn, tx))
        {
            v.Parameters.Add(new() { Value = recorded.Select(x => x.Item.ItemId).ToArray() });
            v.Parameters.Add(new() { Value = knownAt });
            await using var r = await v.ExecuteReaderAsync(ct);
            while (await r.ReadAsync(ct))
            {
                var id = r.GetString(0);
                if (!rerated.TryGetValue(id, out var list)) rerated[id] = list = [];
                list.Add((r.GetInt64(1), At(r, 2), Ratings(r.GetString(3)), r.GetInt32(4), Text(r, 5)));
            }
        }

        // Documents: those of the loaded items and everything they cite, transitively (for derivative appearances).
        var wanted = recorded.Select(x => x.Item.DocumentId).ToHashSet(StringComparer.Ordinal);
        var loaded = new HashSet<string>(StringComparer.Ordinal);
        while (wanted.Count > 0)
        {
            await using var d = new NpgsqlCommand($"""
                select document_id, position, recorded_at, source, published_at, title, url, authors, cites, item_ids, content_hash
                from {S}.documents where document_id = any($1) and recorded_at <= $2 order by position
                """, conn, tx);
            d.Parameters.Add(new() { Value = wanted.ToArray() });
            d.Parameters.Add(new() { Value = knownAt });
            loaded.UnionWith(wanted);
            var next = new HashSet<string>(StringComparer.Ordinal);
            await using (var r = await d.ExecuteReaderAsync(ct))
                while (await r.ReadAsync(ct))
                {
                    var cites = r.GetFieldValue<string[]>(8);
                    Add(documents, r.GetString(0), new Versioned<DocumentIngested>(r.GetInt64(1), At(r, 2),
                        new DocumentIngested(r.GetString(0), r.GetString(3), r.GetFieldValue<DateOnly>(4), r.GetString(5), Text(r, 6),
                            r.GetFieldValue<string[]>(7), cites, r.GetFieldValue<string[]>(9), r.GetString(10))));
                    next.UnionWith(cites.Where(c => !loaded.Contains(c)));
                }
            wanted = next;
        }

        await tx.CommitAsync(ct);

        var items = ImmutableDictionary.CreateBuilder<string, ItemHistory>(StringComparer.Ordinal);
        foreach (var (item, position, at, retractedPosition, retractedAt, reason) in recorded)
        {
            // The versions as the replay builds them: each is closed by the next one, the last by the retraction if any.
            var versions = ImmutableList.CreateBuilder<ItemVersion>();
            versions.Add(new ItemVersion(position, at, null, null, item.Ratings, item.Credibility, null));
            foreach (var rr in rerated.GetValueOrDefault(item.ItemId) ?? [])
            {
                versions[^1] = versions[^1] with { ToPosition = rr.Position, ToRecordedAt = rr.At };
                versions.Add(new ItemVersion(rr.Position, rr.At, null, null, rr.Ratings, rr.Credibility, rr.Reason));
            }
            if (retractedPosition is { } rp) versions[^1] = versions[^1] with { ToPosition = rp, ToRecordedAt = retractedAt };
            items[item.ItemId] = new ItemHistory(item, position, at, versions.ToImmutable(),
                retractedPosition is { } p ? new ItemRetraction(p, retractedAt!.Value, reason ?? "") : null);
        }
        return (new NarrativeWorld(sources.ToImmutable(), topics.ToImmutable(), periods.ToImmutable(), documents.ToImmutable(), items.ToImmutable(), 0)
        {
            Revisions = revisions.ToImmutable(),
            Signposts = signposts.ToImmutable(),
            Ratings = analystRatings.ToImmutable(),
        }, state);
    }

    private static void Add<T>(ImmutableDictionary<string, ImmutableList<Versioned<T>>>.Builder map, string id, Versioned<T> v) =>
        map[id] = (map.GetValueOrDefault(id) ?? []).Add(v);

    private static DateTimeOffset At(NpgsqlDataReader r, int i) => new(r.GetDateTime(i), TimeSpan.Zero);

    private static string? Text(NpgsqlDataReader r, int i) => r.IsDBNull(i) ? null : r.GetString(i);
}
