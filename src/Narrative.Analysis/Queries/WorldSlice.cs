using System.Collections.Immutable;
using System.Text.Json;
using Narrative.Analysis.ReadModel;
using Narrative.Domain;
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

    /// <summary>Items of a topic plus those sharing their claims or rebutting them (for provenance and contested flags).</summary>
    public Task<NarrativeWorld> ForTopicAsync(string topic, DateOnly asOf, DateTimeOffset knownAt, CancellationToken ct) =>
        LoadAsync($"""
            with t as (select item_id, claim from {S}.items where topic = $1 and published_at <= $2 and recorded_at <= $3),
            ids as (
                select item_id from t
                union
                select i.item_id from {S}.items i where i.claim in (select distinct claim from t) and i.published_at <= $2 and i.recorded_at <= $3
                union
                select r.item_id from {S}.rebuttals r join t on t.item_id = r.target)
            select {ItemColumns} from ids join {S}.items i using (item_id) {VersionJoin}
            where i.published_at <= $2 and i.recorded_at <= $3
            order by i.item_id, v.from_position
            """, topic, asOf, knownAt, ct);

    public Task<NarrativeWorld> ForClaimAsync(string claim, DateOnly asOf, DateTimeOffset knownAt, CancellationToken ct) =>
        LoadAsync($"""
            select {ItemColumns} from {S}.items i {VersionJoin}
            where i.claim = $1 and i.published_at <= $2 and i.recorded_at <= $3
            order by i.item_id, v.from_position
            """, claim, asOf, knownAt, ct);

    // Every version recorded by knownAt: the replay counts earlier versions among the events an answer used.
    // A lateral join, so the planner looks versions up by primary key per item instead of hashing the whole table.
    // (offset 0 keeps the planner from flattening it back into a hash join over every version of every topic.)
    private const string VersionJoin = $"cross join lateral (select * from {S}.item_versions v where v.item_id = i.item_id and v.from_recorded_at <= $3 offset 0) v";

    // Summaries, quotes and notes are not part of any computed answer, so the hot path does not fetch them.
    private const string ItemColumns = """
        i.item_id, i.document_id, i.source, i.topic, i.type, i.claim, i.published_at, i.position, i.recorded_at, '', null::text,
        null::text, i.occurred_at, i.rebuts, null::text, i.retracted_position, i.retracted_at, i.retraction_reason,
        v.from_position, v.from_recorded_at, v.to_position, v.to_recorded_at, v.ratings::text, v.credibility, v.reason
        """;

    private async Task<NarrativeWorld> LoadAsync(string itemSql, string key, DateOnly asOf, DateTimeOffset knownAt, CancellationToken ct)
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
                new($"select topic_id, position, recorded_at, title, period_start, period_end, hypotheses::text from {S}.topics where recorded_at <= $1 order by position")
                    { Parameters = { new() { Value = knownAt } } },
                new($"select source_id, position, recorded_at, name, kind, reliability, rationale from {S}.sources where recorded_at <= $1 order by position")
                    { Parameters = { new() { Value = knownAt } } },
                new($"select period_id, position, recorded_at, label, category, start_date, end_date, decision_at from {S}.context_periods where recorded_at <= $1 order by position")
                    { Parameters = { new() { Value = knownAt } } },
                new(itemSql) { Parameters = { new() { Value = key }, new() { Value = asOf }, new() { Value = knownAt } } },
            },
        };
        var topics = ImmutableDictionary.CreateBuilder<string, ImmutableList<Versioned<TopicOpened>>>(StringComparer.Ordinal);
        var sources = ImmutableDictionary.CreateBuilder<string, ImmutableList<Versioned<SourceRegistered>>>(StringComparer.Ordinal);
        var periods = ImmutableDictionary.CreateBuilder<string, ImmutableList<Versioned<ContextPeriodRecorded>>>(StringComparer.Ordinal);
        var documents = ImmutableDictionary.CreateBuilder<string, ImmutableList<Versioned<DocumentIngested>>>(StringComparer.Ordinal);
        var recorded = new List<(ItemRecorded Item, long Position, DateTimeOffset At, long? RetractedPosition, DateTimeOffset? RetractedAt, string? Reason)>();
        var versions = new Dictionary<string, List<ItemVersion>>(StringComparer.Ordinal);
        await using (var r = await batch.ExecuteReaderAsync(ct))
        {
            while (await r.ReadAsync(ct))
                Add(topics, r.GetString(0), new Versioned<TopicOpened>(r.GetInt64(1), At(r, 2), new TopicOpened(r.GetString(0), r.GetString(3),
                    r.GetFieldValue<DateOnly>(4), r.GetFieldValue<DateOnly>(5),
                    JsonSerializer.Deserialize<List<Hypothesis>>(r.GetString(6), NarrativeEvents.Json)!)));
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
                var id = r.GetString(0);
                var version = new ItemVersion(r.GetInt64(18), At(r, 19), r.IsDBNull(20) ? null : r.GetInt64(20), r.IsDBNull(21) ? null : At(r, 21),
                    RatingsJson.Parse(r.GetString(22)), r.GetInt32(23), Text(r, 24));
                if (recorded.Count > 0 && recorded[^1].Item.ItemId == id)
                {
                    versions[id].Add(version);
                    continue;
                }
                var item = new ItemRecorded(id, r.GetString(1), r.GetString(2), r.GetFieldValue<DateOnly>(6), r.GetString(3), r.GetString(4),
                    r.GetString(5), r.GetString(9), Text(r, 10), Text(r, 11), r.IsDBNull(12) ? null : r.GetFieldValue<DateOnly>(12),
                    0, ImmutableDictionary<string, string>.Empty, r.GetFieldValue<string[]>(13), Text(r, 14));
                recorded.Add((item, r.GetInt64(7), At(r, 8), r.IsDBNull(15) ? null : r.GetInt64(15), r.IsDBNull(16) ? null : At(r, 16), Text(r, 17)));
                versions[id] = [version];
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
            var history = versions.GetValueOrDefault(item.ItemId) ?? [];
            var first = history.FirstOrDefault();
            var recordedItem = first is null ? item : item with { Ratings = first.Ratings, Credibility = first.Credibility };
            items[item.ItemId] = new ItemHistory(recordedItem, position, at, [.. history],
                retractedPosition is { } rp ? new ItemRetraction(rp, retractedAt!.Value, reason ?? "") : null);
        }
        return new NarrativeWorld(sources.ToImmutable(), topics.ToImmutable(), periods.ToImmutable(), documents.ToImmutable(), items.ToImmutable(), 0);
    }

    private static void Add<T>(ImmutableDictionary<string, ImmutableList<Versioned<T>>>.Builder map, string id, Versioned<T> v) =>
        map[id] = (map.GetValueOrDefault(id) ?? []).Add(v);

    private static DateTimeOffset At(NpgsqlDataReader r, int i) => new(r.GetDateTime(i), TimeSpan.Zero);

    private static string? Text(NpgsqlDataReader r, int i) => r.IsDBNull(i) ? null : r.GetString(i);
}
