namespace Narrative.Storage;

/// <summary>An event to append. <see cref="EventId"/> makes the append idempotent.</summary>
public sealed record EventData(Guid EventId, object Data, EventMetadata? Metadata = null);

/// <summary>Who and what caused an event. Stored in Marten's metadata columns (correlation_id, causation_id, user_name).</summary>
public sealed record EventMetadata
{
    public string? CorrelationId { get; init; }
    public string? CausationId { get; init; }
    public string? Actor { get; init; }
}

/// <summary>An event as Marten stores it in <c>mt_events</c>, read raw. <see cref="Position"/> is Marten's <c>seq_id</c>.</summary>
public sealed record StoredEvent(
    long Position,
    string StreamId,
    long Version,
    Guid EventId,
    string Type,
    string DataJson,
    EventMetadata Metadata,
    DateTimeOffset RecordedAt,
    string? Hash);

public readonly record struct ExpectedVersion
{
    private ExpectedVersion(long value) => Value = value;

    /// <summary>-1 any, 0 no stream, n exactly n events.</summary>
    public long Value { get; }

    public static readonly ExpectedVersion Any = new(-1);
    public static readonly ExpectedVersion NoStream = new(0);
    public static ExpectedVersion Exactly(long version) =>
        version < 0 ? throw new ArgumentOutOfRangeException(nameof(version)) : new ExpectedVersion(version);

    public override string ToString() => Value switch { -1 => "any", 0 => "no stream", _ => Value.ToString(System.Globalization.CultureInfo.InvariantCulture) };
}

public sealed record AppendResult(string StreamId, long Version, long? FirstPosition, long? LastPosition, int Written)
{
    /// <summary>False when every event id was already stored: an idempotent replay.</summary>
    public bool Created => Written > 0;
}

/// <summary>The stream was not at the expected version: a stale check here, or Marten's unique (stream, version) key.</summary>
public sealed class ConcurrencyException(string streamId, ExpectedVersion expected, long? actual, Exception? inner = null)
    : Exception($"Stream '{streamId}' was expected at {expected} but is at {(actual?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "a newer version")}", inner)
{
    public string StreamId { get; } = streamId;
    public ExpectedVersion Expected { get; } = expected;
    public long? Actual { get; } = actual;
}

/// <summary>Some but not all event ids of an append already exist: a client error, never silently merged.</summary>
public sealed class PartialDuplicateException(string streamId, IReadOnlyList<Guid> existing)
    : Exception($"Append to '{streamId}' repeats {existing.Count} existing event id(s) but not all of them")
{
    public IReadOnlyList<Guid> Existing { get; } = existing;
}

/// <summary>A concurrent writer stored the same event id first (SQLSTATE 23505 on Marten's unique event id index).</summary>
public sealed class DuplicateEventException(Exception inner) : Exception("An event with the same id was appended concurrently", inner);

public sealed record VerificationFailure(long Position, string StreamId, long Version, string Reason);
