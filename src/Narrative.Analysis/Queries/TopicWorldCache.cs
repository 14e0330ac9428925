using System.Collections.Concurrent;
using Narrative.Analysis.ReadModel;
using Narrative.Domain.Replay;
using Npgsql;

namespace Narrative.Analysis.Queries;

/// <summary>
/// Which read model a slice was read from: the analysis projection's progression in Marten's mt_event_progression
/// and the identity of the live schema (a rebuild swaps in a new one). Rows only change when the progression moves,
/// in the same transaction, so two reads with the same state saw the same rows.
/// </summary>
public sealed record ReadModelState(long Position, long Schema)
{
    public const string Sql = $"""
        select coalesce(c.last_seq_id, 0), n.oid::bigint
        from pg_namespace n left join {Narrative.Storage.EventStoreSetup.Schema}.mt_event_progression c on c.name = '{AnalysisProjection.ProjectionName}:All'
        where n.nspname = '{AnalysisProjection.LiveSchema}'
        """;

    public static async Task<ReadModelState> ReadAsync(NpgsqlDataReader r, CancellationToken ct) =>
        await r.ReadAsync(ct) ? new ReadModelState(r.GetInt64(0), r.GetInt64(1)) : new ReadModelState(0, 0);

    public static async Task<ReadModelState> ReadAsync(NpgsqlDataSource db, CancellationToken ct)
    {
        await using var cmd = db.CreateCommand(Sql);
        await using var r = await cmd.ExecuteReaderAsync(ct);
        return await ReadAsync(r, ct);
    }
}

public sealed record TopicWorldCacheEntry(string Topic, long Position, int Items, int Documents);

/// <summary>
/// Keeps, for the most recently asked topics, the whole slice their answers can need (the topic's items and linked
/// items at every world and system time, as <see cref="WorldSlice.WholeTopicAsync"/> reads it), tagged with the
/// <see cref="ReadModelState"/> it was read at. A query first reads the current state (one row by key); when it
/// matches, the answer is computed from memory by the same pure functions, which filter to (asOf, knownAt) exactly as
/// the audit replay does. When the read model has moved on, the slice is read again. So an answer is never older than
/// the read model, and an analyst moving the as-of slider over a big topic does not re-read 10,000 rows per step.
/// </summary>
public sealed class TopicWorldCache(NpgsqlDataSource db, int capacity)
{
    private readonly WorldSlice _slice = new(db);

    private sealed record Entry(ReadModelState State, NarrativeWorld World)
    {
        public long LastUsed;
    }

    private readonly ConcurrentDictionary<string, Entry> _entries = new(StringComparer.Ordinal);
    private long _clock;
    private long _hits, _misses;

    public int Capacity => capacity;
    public long Hits => Interlocked.Read(ref _hits);
    public long Misses => Interlocked.Read(ref _misses);

    /// <summary>What is held now, most recently used first (for operators: GET /api/admin/query-cache).</summary>
    public IReadOnlyList<TopicWorldCacheEntry> Entries =>
        [.. _entries.OrderByDescending(e => e.Value.LastUsed)
            .Select(e => new TopicWorldCacheEntry(e.Key, e.Value.State.Position, e.Value.World.Items.Count, e.Value.World.Documents.Count))];

    /// <summary>The whole-topic world as of the read model now, from memory when the read model has not moved since.</summary>
    public async Task<NarrativeWorld> WorldAsync(string topic, CancellationToken ct)
    {
        var state = await ReadModelState.ReadAsync(db, ct);
        if (_entries.TryGetValue(topic, out var held) && held.State == state)
        {
            held.LastUsed = Interlocked.Increment(ref _clock);
            Interlocked.Increment(ref _hits);
            return held.World;
        }
        Interlocked.Increment(ref _misses);
        var (world, readAt) = await _slice.WholeTopicAsync(topic, ct);
        // Tagged with the state of the snapshot it was read in (it may be newer than the one read above).
        var entry = new Entry(readAt, world) { LastUsed = Interlocked.Increment(ref _clock) };
        _entries[topic] = entry;
        while (_entries.Count > capacity && _entries.MinBy(e => e.Value.LastUsed) is var (oldest, _) && oldest is not null)
            _entries.TryRemove(oldest, out _);
        return world;
    }
}
