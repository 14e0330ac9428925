using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Npgsql;
using NpgsqlTypes;

namespace Narrative.EventStore.Handlers;

/// <summary>
/// What a handler gets with each event: the stored event and its metadata, and the batch transaction. Everything written
/// through it (appends, outbox messages, or SQL on <see cref="Connection"/>/<see cref="Transaction"/>) commits together
/// with the inbox row and the checkpoint, or is rolled back with the failed attempt.
/// </summary>
public sealed class HandlerContext
{
    private readonly HandlerOptions _options;
    private int _generated;

    internal HandlerContext(string handler, StoredEvent @event, EventMetadata metadata, int attempt, EventStore store,
        NpgsqlConnection connection, NpgsqlTransaction transaction, HandlerOptions options)
    {
        Handler = handler;
        Event = @event;
        Metadata = metadata;
        Attempt = attempt;
        Store = store;
        Connection = connection;
        Transaction = transaction;
        _options = options;
    }

    public string Handler { get; }
    public StoredEvent Event { get; }
    public EventMetadata Metadata { get; }

    /// <summary>1 for the first attempt.</summary>
    public int Attempt { get; }

    public EventStore Store { get; }
    public NpgsqlConnection Connection { get; }
    public NpgsqlTransaction Transaction { get; }
    public DateTimeOffset Now => _options.Time.GetUtcNow();

    /// <summary>The triggering event's correlation id, or its event id when it has none (it starts the conversation).</summary>
    public string CorrelationId => Metadata.CorrelationId ?? Event.EventId.ToString();

    public string CausationId => Event.EventId.ToString();

    /// <summary>
    /// An event id derived from (handler, triggering event, n-th id asked for): a retried or redelivered attempt appends
    /// the same ids, so even without the inbox the store would treat it as an idempotent replay.
    /// </summary>
    public Guid NewEventId()
    {
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes($"narrative.handler:{Handler}:{Event.EventId:N}:{_generated++}"));
        hash[6] = (byte)((hash[6] & 0x0F) | 0x80); // version 8 (custom)
        hash[8] = (byte)((hash[8] & 0x3F) | 0x80); // RFC 4122 variant
        return new Guid(hash.AsSpan(0, 16), bigEndian: true);
    }

    /// <summary>Appends events made from <paramref name="data"/>, with derived ids, occurring now, caused by the triggering event.</summary>
    public Task<AppendResult> AppendAsync(string streamId, ExpectedVersion expected, IReadOnlyList<object> data, CancellationToken ct) =>
        AppendAsync(streamId, expected, data.Select(d => new EventData(NewEventId(), d, Now)).ToList(), ct);

    /// <summary>Appends in the batch transaction; causation and correlation ids are set from the triggering event.</summary>
    public Task<AppendResult> AppendAsync(string streamId, ExpectedVersion expected, IReadOnlyList<EventData> events, CancellationToken ct)
    {
        var caused = events.Select(e => e with
        {
            Metadata = (e.Metadata ?? new EventMetadata()) with
            {
                CausationId = CausationId,
                CorrelationId = CorrelationId,
                Actor = e.Metadata?.Actor ?? $"handler:{Handler}",
            },
        }).ToList();
        return Store.AppendAsync(Connection, Transaction, streamId, expected, caused, ct);
    }

    /// <summary>Writes an outbox message in the batch transaction; it is delivered (SSE, webhooks) only if the batch commits.</summary>
    public async Task<long> PublishAsync(string kind, object payload, CancellationToken ct)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(kind);
        await using var cmd = new NpgsqlCommand("""
            insert into outbox (kind, payload, handler, event_id, correlation_id) values ($1, $2, $3, $4, $5) returning id
            """, Connection, Transaction);
        cmd.Parameters.Add(new() { Value = kind });
        cmd.Parameters.Add(new() { Value = JsonSerializer.Serialize(payload, payload.GetType(), Store.Types.Json), NpgsqlDbType = NpgsqlDbType.Json });
        cmd.Parameters.Add(new() { Value = Handler });
        cmd.Parameters.Add(new() { Value = Event.EventId });
        cmd.Parameters.Add(new() { Value = CorrelationId });
        return (long)(await cmd.ExecuteScalarAsync(ct))!;
    }
}
