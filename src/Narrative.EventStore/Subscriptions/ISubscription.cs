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
    /// to date row by row.
    /// </summary>
    IReadOnlyList<string> IndexStatements(string schema) => [];

    /// <summary>
    /// An optional bulk loader for rebuilds. Without one, a rebuild replays through <see cref="ISubscription.HandleAsync"/>
    /// into tables that already have their indexes.
    /// </summary>
    IRebuildLoader? CreateRebuildLoader() => null;
}

/// <summary>
/// Replays the whole log into a fresh schema whose tables have no indexes yet. It may keep state for the whole replay
/// (it sees every event from position 0, in order) and defer work that needs an index to <see cref="CompleteAsync"/>,
/// which runs once the indexes exist, before the schema is swapped in. The result must equal incremental processing.
/// </summary>
public interface IRebuildLoader
{
    Task LoadAsync(SubscriptionBatch batch, CancellationToken ct);

    Task CompleteAsync(SubscriptionBatch batch, CancellationToken ct);
}

public sealed record SubscriptionBatch(NpgsqlConnection Connection, NpgsqlTransaction Transaction, EventStore Store,
    IReadOnlyList<StoredEvent> Events, string Schema);
