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

    /// <summary>Creates the read-model tables inside <paramref name="schema"/> (which exists and is empty).</summary>
    Task CreateTablesAsync(NpgsqlConnection conn, NpgsqlTransaction tx, string schema, CancellationToken ct);
}

public sealed record SubscriptionBatch(NpgsqlConnection Connection, NpgsqlTransaction Transaction, EventStore Store,
    IReadOnlyList<StoredEvent> Events, string Schema);
