using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;

namespace Narrative.EventStore;

/// <summary>
/// SHA-256 over a canonical form of one event, chained to the previous event of the same stream:
/// prev-hash | stream | version | event id | type | occurred_at (µs since epoch) | data | metadata.
/// Text fields are UTF-8 with a 0x00 terminator; numbers are big-endian. data and metadata are stored as
/// <c>json</c> (not jsonb), so the database keeps the exact text that was hashed.
/// recorded_at is set by the database and is not part of the hash.
/// </summary>
public static class EventHash
{
    public static byte[] Compute(ReadOnlySpan<byte> previous, string streamId, long version, Guid eventId, string type,
        DateTimeOffset occurredAt, string data, string metadata)
    {
        using var h = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        return Compute(h, previous, streamId, version, eventId, type, occurredAt, data, metadata);
    }

    /// <summary>Same, reusing a SHA-256 hasher across the events of one append.</summary>
    public static byte[] Compute(IncrementalHash h, ReadOnlySpan<byte> previous, string streamId, long version, Guid eventId, string type,
        DateTimeOffset occurredAt, string data, string metadata)
    {
        Span<byte> buf = stackalloc byte[16];
        h.AppendData(previous);
        AppendText(h, streamId);
        BinaryPrimitives.WriteInt64BigEndian(buf, version);
        h.AppendData(buf[..8]);
        eventId.TryWriteBytes(buf, bigEndian: true, out _);
        h.AppendData(buf);
        AppendText(h, type);
        BinaryPrimitives.WriteInt64BigEndian(buf, ToMicros(occurredAt));
        h.AppendData(buf[..8]);
        AppendText(h, data);
        AppendText(h, metadata);
        return h.GetHashAndReset();
    }

    /// <summary>PostgreSQL keeps microseconds; hash exactly what is stored.</summary>
    public static DateTimeOffset Truncate(DateTimeOffset t) =>
        new(t.UtcTicks - t.UtcTicks % 10, TimeSpan.Zero);

    private static long ToMicros(DateTimeOffset t) => (t.UtcTicks - DateTime.UnixEpoch.Ticks) / 10;

    private static void AppendText(IncrementalHash h, string s)
    {
        var max = Encoding.UTF8.GetMaxByteCount(s.Length) + 1;
        var rented = max <= 4096 ? null : System.Buffers.ArrayPool<byte>.Shared.Rent(max);
        var buffer = rented ?? stackalloc byte[max];
        var n = Encoding.UTF8.GetBytes(s, buffer);
        buffer[n] = 0;
        h.AppendData(buffer[..(n + 1)]);
        if (rented is not null) System.Buffers.ArrayPool<byte>.Shared.Return(rented);
    }
}
