using Npgsql;

namespace Narrative.EventStore.Subscriptions;

/// <summary>
/// Something that consumes the global order: a projection or a handler. Each batch is handled inside one
/// transaction that also advances the checkpoint, so a committed batch is never applied twice.
/// </summary>
public interface ISubscription
{
    string Name { get; }

    /// <summary>"projection" or "handler": shown in status.</summary>
    string Kind { get; }

    Task HandleAsync(SubscriptionBatch batch, CancellationToken ct);
}

/// <summary>A projection whose read model can be rebuilt into a fresh schema and swapped in.</summary>
public interface IRebuildableProjection : ISubscription
{
    /// <summary>The schema that holds the live read model.</summary>
    string Schema { get; }

    /// <summary>The shape of the read model. A live schema built by another version is rebuilt before use.</summary>
    string Version => "1";

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
    IReadOnlyList<string> IndexStatements(string schema) => [];

    /// <summary>
    /// An optional bulk loader for rebuilds. Without one, a rebuild replays through <see cref="ISubscription.HandleAsync"/>
    /// into tables that already have their indexes.
    /// </summary>
    IRebuildLoader? CreateRebuildLoader(EventTypeRegistry types) => null;
}

/// <summary>
/// Replays the whole log into a fresh schema whose tables have no indexes yet. It sees every event from position 0,
/// in the global order, raw: the type and the JSON as the log stores them (UTF-8), so it can copy values into rows
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

    Task CompleteAsync(SubscriptionBatch batch, CancellationToken ct);
}

/// <summary>Rows a <see cref="IRebuildLoader"/> prepared, written into the shadow schema inside the caller's transaction (see <see cref="IRebuildLoader.TakeChunk"/>).</summary>
public interface IRebuildChunk
{
    Task WriteAsync(NpgsqlConnection conn, NpgsqlTransaction tx, string schema, CancellationToken ct);
}

/// <summary>One event of the log as a rebuild reads it: its place, its recording time, and its type and data as UTF-8 bytes.</summary>
public readonly ref struct RawEvent(long txId, long position, long recordedAtMicros, ReadOnlySpan<byte> type, ReadOnlySpan<byte> data)
{
    public long TxId { get; } = txId;

    public long Position { get; } = position;

    /// <summary>PostgreSQL's microseconds since 2000-01-01 UTC, as the log stores <c>recorded_at</c>.</summary>
    public long RecordedAtMicros { get; } = recordedAtMicros;

    public DateTimeOffset RecordedAt => Postgres.BinaryCopy.ToTimestamp(RecordedAtMicros);

    public ReadOnlySpan<byte> Type { get; } = type;

    /// <summary>The event's JSON, UTF-8.</summary>
    public ReadOnlySpan<byte> Data { get; } = data;
}

public sealed record SubscriptionBatch(NpgsqlConnection Connection, NpgsqlTransaction Transaction, EventStore Store,
    IReadOnlyList<StoredEvent> Events, string Schema);
