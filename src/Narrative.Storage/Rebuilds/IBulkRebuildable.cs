using JasperFx.Events;
using Npgsql;

namespace Narrative.Storage.Rebuilds;

/// <summary>
/// A Marten projection that keeps its read model in SQL tables of its own schema and can rebuild them in bulk:
/// <see cref="BulkRebuilder"/> loads a fresh schema from the raw log, builds the indexes afterwards and swaps it in,
/// leaving Marten's progression exactly where the load stopped. Marten's own rebuild
/// (<c>IProjectionDaemon.RebuildProjectionAsync</c>) works too, through <see cref="ApplyAsync"/>; this is the fast path.
/// </summary>
public interface IBulkRebuildable
{
    /// <summary>Marten's projection name; its shard is <c>{Name}:All</c> in <c>mt_event_progression</c>.</summary>
    string Name { get; }

    /// <summary>The schema that holds the live read model.</summary>
    string Schema { get; }

    /// <summary>The shape of the read model. A live schema built by another version is rebuilt before use.</summary>
    string Version { get; }

    /// <summary>
    /// Creates the read-model tables inside <paramref name="schema"/> (which exists and is empty). Indexes and keys
    /// listed in <see cref="IndexStatements"/> are not part of this: they are created right after it for a new live
    /// schema, and after the load in a rebuild.
    /// </summary>
    Task CreateTablesAsync(NpgsqlConnection conn, NpgsqlTransaction tx, string schema, CancellationToken ct);

    /// <summary>
    /// DDL for the indexes and keys of the read model, one statement each. A rebuild loads the tables first and runs
    /// these afterwards, in parallel: building an index from sorted data is several times cheaper than keeping it up
    /// to date row by row. Write keys as <c>create unique index</c>, not <c>alter table … add primary key</c>: ALTER
    /// TABLE locks the whole table, so the other index builds on that table would wait for it instead of running beside it.
    /// </summary>
    IReadOnlyList<string> IndexStatements(string schema);

    /// <summary>Applies events incrementally to the tables of <paramref name="schema"/>, inside the caller's transaction.</summary>
    Task ApplyAsync(NpgsqlConnection conn, NpgsqlTransaction tx, string schema, IReadOnlyList<IEvent> events, CancellationToken ct);

    IRebuildLoader CreateRebuildLoader();
}

/// <summary>
/// Replays the whole log into a fresh schema whose tables have no indexes yet. It sees every event from the start, in
/// position order, raw: the type and the JSON as <c>mt_events</c> stores them (UTF-8), so it can copy values into rows
/// without building objects. It may keep state for the whole replay and defer work that needs an index to
/// <see cref="CompleteAsync"/>, which runs once the indexes exist, before the schema is swapped in. The result must
/// equal incremental processing.
/// </summary>
public interface IRebuildLoader
{
    /// <summary>Takes the next event of the log. Called from one thread, in order; the spans are only valid during the call.</summary>
    void Add(RawEvent e);

    /// <summary>
    /// Hands over the rows of everything added since the last call. The rebuilder writes the chunk in its own
    /// transaction while <see cref="Add"/> goes on with the next events, on one of several connections: chunks may be
    /// written in any order and at the same time, so a chunk may only add rows that no other chunk's rows depend on
    /// (work that does goes to <see cref="CompleteAsync"/>).
    /// </summary>
    IRebuildChunk TakeChunk();

    Task CompleteAsync(NpgsqlConnection conn, NpgsqlTransaction tx, string schema, CancellationToken ct);
}

/// <summary>Rows a <see cref="IRebuildLoader"/> prepared, written into the shadow schema inside the caller's transaction (see <see cref="IRebuildLoader.TakeChunk"/>).</summary>
public interface IRebuildChunk
{
    Task WriteAsync(NpgsqlConnection conn, NpgsqlTransaction tx, string schema, CancellationToken ct);
}

/// <summary>One event of the log as a rebuild reads it: its position, its recording time, and its type and data as UTF-8 bytes.</summary>
public readonly ref struct RawEvent(long position, long recordedAtMicros, ReadOnlySpan<byte> type, ReadOnlySpan<byte> data)
{
    /// <summary>Marten's <c>seq_id</c>.</summary>
    public long Position { get; } = position;

    /// <summary>PostgreSQL's microseconds since 2000-01-01 UTC, as <c>mt_events.timestamp</c> stores it.</summary>
    public long RecordedAtMicros { get; } = recordedAtMicros;

    public DateTimeOffset RecordedAt => Postgres.BinaryCopy.ToTimestamp(RecordedAtMicros);

    public ReadOnlySpan<byte> Type { get; } = type;

    /// <summary>The event's JSON, UTF-8.</summary>
    public ReadOnlySpan<byte> Data { get; } = data;
}
