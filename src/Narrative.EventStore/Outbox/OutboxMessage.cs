using System.Text;
using System.Text.Json;
using Npgsql;

namespace Narrative.EventStore.Outbox;

/// <summary>A side effect a handler published: <see cref="Kind"/> (e.g. "alert") and a JSON payload.</summary>
public sealed record OutboxMessage(long Id, long TxId, string Kind, string PayloadJson, string? Handler, Guid? EventId, string? CorrelationId,
    DateTimeOffset CreatedAt)
{
    internal const string Columns = "id, tx_id, kind, payload::text, handler, event_id, correlation_id, created_at";

    internal static OutboxMessage Read(NpgsqlDataReader r) => new(
        r.GetInt64(0), r.GetInt64(1), r.GetString(2), r.GetString(3), r.IsDBNull(4) ? null : r.GetString(4),
        r.IsDBNull(5) ? null : r.GetGuid(5), r.IsDBNull(6) ? null : r.GetString(6),
        new DateTimeOffset(DateTime.SpecifyKind(r.GetDateTime(7), DateTimeKind.Utc)));

    /// <summary>The envelope sent to webhooks and SSE clients: id, kind, payload, createdAt, eventId, correlationId.</summary>
    public string ToJson()
    {
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WriteNumber("id", Id);
            w.WriteString("kind", Kind);
            w.WritePropertyName("payload");
            w.WriteRawValue(PayloadJson);
            w.WriteString("createdAt", CreatedAt);
            if (EventId is { } e) w.WriteString("eventId", e);
            if (CorrelationId is not null) w.WriteString("correlationId", CorrelationId);
            if (Handler is not null) w.WriteString("handler", Handler);
            w.WriteEndObject();
        }
        return Encoding.UTF8.GetString(buffer.ToArray());
    }
}

public sealed record OutboxOptions
{
    /// <summary>Fallback poll when no NOTIFY arrives; also how often a standby dispatcher tries to take over.</summary>
    public TimeSpan PollInterval { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>Wait after a failed delivery; doubles per attempt, with jitter, up to <see cref="RetryMaxDelay"/>.</summary>
    public TimeSpan RetryBaseDelay { get; init; } = TimeSpan.FromSeconds(1);

    public TimeSpan RetryMaxDelay { get; init; } = TimeSpan.FromMinutes(5);

    public TimeSpan DeliveryTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Longest wait before reconnecting after the database went away.</summary>
    public TimeSpan MaxReconnectBackoff { get; init; } = TimeSpan.FromSeconds(10);

    public int BatchSize { get; init; } = 100;

    public string NodeId { get; init; } = $"{Environment.MachineName}:{Environment.ProcessId}";

    internal TimeSpan RetryDelay(int attempts)
    {
        var ms = Math.Min(RetryMaxDelay.TotalMilliseconds, RetryBaseDelay.TotalMilliseconds * Math.Pow(2, Math.Min(Math.Max(0, attempts - 1), 20)));
        return TimeSpan.FromMilliseconds(ms / 2 + Random.Shared.NextDouble() * ms / 2);
    }

    internal TimeSpan ReconnectDelay(int failures) =>
        TimeSpan.FromMilliseconds(Math.Min(MaxReconnectBackoff.TotalMilliseconds, 100 * Math.Pow(2, Math.Min(failures, 10)) + Random.Shared.Next(0, 100)));
}
