using System.Text.Json;
using System.Text.Json.Serialization;

namespace Narrative.EventStore;

/// <summary>An event to append. <see cref="EventId"/> makes the append idempotent.</summary>
public sealed record EventData(Guid EventId, object Data, DateTimeOffset OccurredAt, EventMetadata? Metadata = null);

/// <summary>Who and what caused an event. Stored as JSON beside the data.</summary>
public sealed record EventMetadata
{
    public string? CorrelationId { get; init; }
    public string? CausationId { get; init; }
    public string? Actor { get; init; }
    public int SchemaVersion { get; init; } = 1;

    [JsonExtensionData]
    public Dictionary<string, JsonElement>? Extra { get; init; }
}

/// <summary>An event as stored.</summary>
public sealed record StoredEvent(
    long Position,
    long TxId,
    string StreamId,
    int Version,
    Guid EventId,
    string Type,
    string DataJson,
    string MetadataJson,
    DateTimeOffset OccurredAt,
    DateTimeOffset RecordedAt,
    byte[] Hash)
{
    public GlobalCursor Cursor => new(TxId, Position);
}

/// <summary>
/// A point in the global order. Subscribers advance through (transaction id, position) pairs; see <see cref="EventStore.ReadAllAsync"/>.
/// </summary>
public readonly record struct GlobalCursor(long TxId, long Position) : IComparable<GlobalCursor>
{
    public static readonly GlobalCursor Start = new(0, 0);

    public int CompareTo(GlobalCursor other) =>
        TxId != other.TxId ? TxId.CompareTo(other.TxId) : Position.CompareTo(other.Position);

    public override string ToString() => $"{TxId}:{Position}";

    public static bool TryParse(string? text, out GlobalCursor cursor)
    {
        cursor = Start;
        var parts = text?.Split(':');
        if (parts is not { Length: 2 } || !long.TryParse(parts[0], out var tx) || !long.TryParse(parts[1], out var pos)) return false;
        cursor = new GlobalCursor(tx, pos);
        return true;
    }
}

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

/// <summary>The stream was not at the expected version. Raised from SQLSTATE 23505 on (stream, version), or a stale check.</summary>
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
