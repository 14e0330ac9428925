using Narrative.Storage;
using Narrative.Storage.Rebuilds;
using Npgsql;

namespace Narrative.Analysis;

/// <summary>
/// Where each of Marten's async shards has got (the analysis projection, the relay to the handlers), from
/// <c>mt_event_progression</c>; the high-water mark; and the gaps the daemon skipped, from <c>mt_high_water_skips</c>.
/// Replica rows (kind "replica") give a read replica's read-model position and its lag (<see cref="Replica"/>).
/// The handlers' row (kind "handlers") can carry <see cref="Queued"/>, the messages waiting in Wolverine's inbox
/// (<see cref="NarrativeServices.StatusWithInboxAsync"/>); null on other rows and where it was not counted.
/// </summary>
public sealed record ProjectionStatus(string Name, string Kind, long Position, long Head, long Lag, string State,
    DateTimeOffset? UpdatedAt, double? RebuildProgress, IReadOnlyList<GapSkip> Skips, Queries.ReplicaLag? Replica = null,
    int? Queued = null)
{
    private const string Schema = EventStoreSetup.Schema;

    public static async Task<IReadOnlyList<ProjectionStatus>> ReadAsync(NpgsqlDataSource db, CancellationToken ct)
    {
        await using var batch = db.CreateBatch();
        batch.BatchCommands.Add(new NpgsqlBatchCommand($"select coalesce(max(seq_id), 0) from {Schema}.mt_events"));
        batch.BatchCommands.Add(new NpgsqlBatchCommand($"select name, last_seq_id, last_updated from {Schema}.mt_event_progression order by name"));
        batch.BatchCommands.Add(new NpgsqlBatchCommand($"""
            select ending_sequence, starting_sequence, timestamp from {Schema}.mt_high_water_skips order by timestamp desc limit 20
            """));
        await using var r = await batch.ExecuteReaderAsync(ct);
        await r.ReadAsync(ct);
        var head = r.GetInt64(0);
        await r.NextResultAsync(ct);
        var rows = new List<(string Name, long Position, DateTimeOffset? Updated)>();
        while (await r.ReadAsync(ct))
            rows.Add((r.GetString(0), r.GetInt64(1), r.IsDBNull(2) ? null : r.GetFieldValue<DateTimeOffset>(2)));
        await r.NextResultAsync(ct);
        var skips = new List<GapSkip>();
        while (await r.ReadAsync(ct)) skips.Add(new GapSkip(r.GetInt64(1), r.GetInt64(0), r.GetFieldValue<DateTimeOffset>(2)));

        var result = new List<ProjectionStatus>();
        // Marten's other bookkeeping rows (the allocation fence) are not shards anyone waits on.
        foreach (var (name, position, updated) in rows.Where(r => r.Name == "HighWaterMark" || !r.Name.StartsWith("HighWater", StringComparison.Ordinal)))
        {
            var shard = name.EndsWith(":All", StringComparison.Ordinal) ? name[..^4] : name;
            var kind = name.StartsWith("HighWater", StringComparison.Ordinal) ? "high-water" : shard == NarrativeHosting.RelayName ? "handlers" : "projection";
            var rebuild = BulkRebuilder.ProgressOf(shard);
            var state = rebuild is not null ? "rebuilding" : position >= head ? "running" : "catching-up";
            result.Add(new ProjectionStatus(shard, kind, position, head, Math.Max(0, head - position), state, updated, rebuild?.Fraction,
                name == "HighWaterMark" ? skips : []));
        }
        return result;
    }
}

/// <summary>A gap in positions that the daemon skipped (a rolled-back append, judged so with transaction evidence).</summary>
public sealed record GapSkip(long From, long To, DateTimeOffset At);
