using System.Buffers.Binary;
using Npgsql;

namespace Narrative.Storage.Postgres;

/// <summary>
/// PostgreSQL's binary COPY format, by hand: what a bulk path needs when per-value type resolution (Npgsql's
/// <see cref="NpgsqlBinaryImporter"/>) and building CLR objects for every row cost more than the copy itself.
/// Layout: an 11-byte signature, flags and header-extension length (int32 each), then per row an int16 field count
/// and per field an int32 length (-1 for null) and the value's binary form; a trailer of int16 -1.
/// </summary>
public static class BinaryCopy
{
    public static readonly byte[] Header = [(byte)'P', (byte)'G', (byte)'C', (byte)'O', (byte)'P', (byte)'Y', (byte)'\n', 0xFF, (byte)'\r', (byte)'\n', 0, 0, 0, 0, 0, 0, 0, 0, 0];

    public static readonly byte[] Trailer = [0xFF, 0xFF];

    /// <summary>Microseconds from the Unix epoch to PostgreSQL's (2000-01-01 UTC): timestamps are counted from there.</summary>
    private const long PgEpochUnixMicros = 946_684_800_000_000;

    private static readonly int PgEpochDay = new DateOnly(2000, 1, 1).DayNumber;

    public const uint TextOid = 25;

    public static DateTimeOffset ToTimestamp(long pgMicros) =>
        DateTimeOffset.FromUnixTimeMilliseconds(0).AddTicks((pgMicros + PgEpochUnixMicros) * 10);

    public static int ToPgDate(DateOnly date) => date.DayNumber - PgEpochDay;
}

/// <summary>Rows in binary COPY form, buffered in memory and sent with one <c>COPY … FROM STDIN (FORMAT BINARY)</c>.</summary>
public sealed class BinaryCopyRows(int capacity = 1 << 16)
{
    private byte[] _buffer = new byte[capacity];
    private int _length;

    public int Rows { get; private set; }

    public int Length => _length;

    public void StartRow(short fields)
    {
        Span(2);
        BinaryPrimitives.WriteInt16BigEndian(_buffer.AsSpan(_length), fields);
        _length += 2;
        Rows++;
    }

    public void Null() => Int32Raw(-1);

    public void Text(ReadOnlySpan<byte> utf8)
    {
        Span(4 + utf8.Length);
        BinaryPrimitives.WriteInt32BigEndian(_buffer.AsSpan(_length), utf8.Length);
        utf8.CopyTo(_buffer.AsSpan(_length + 4));
        _length += 4 + utf8.Length;
    }

    public void Text(string? value)
    {
        if (value is null) { Null(); return; }
        var max = System.Text.Encoding.UTF8.GetMaxByteCount(value.Length);
        Span(4 + max);
        var n = System.Text.Encoding.UTF8.GetBytes(value, _buffer.AsSpan(_length + 4));
        BinaryPrimitives.WriteInt32BigEndian(_buffer.AsSpan(_length), n);
        _length += 4 + n;
    }

    /// <summary>jsonb's binary form: a version byte (1) and the JSON text.</summary>
    public void Jsonb(ReadOnlySpan<byte> utf8Json)
    {
        Span(5 + utf8Json.Length);
        BinaryPrimitives.WriteInt32BigEndian(_buffer.AsSpan(_length), utf8Json.Length + 1);
        _buffer[_length + 4] = 1;
        utf8Json.CopyTo(_buffer.AsSpan(_length + 5));
        _length += 5 + utf8Json.Length;
    }

    public void Int32(int value)
    {
        Int32Raw(4);
        Int32Raw(value);
    }

    public void Int64(long value)
    {
        Int32Raw(8);
        Span(8);
        BinaryPrimitives.WriteInt64BigEndian(_buffer.AsSpan(_length), value);
        _length += 8;
    }

    public void Date(DateOnly value) => Int32(BinaryCopy.ToPgDate(value));

    /// <summary>A timestamptz given as PostgreSQL's own microseconds since 2000-01-01 UTC (as a binary COPY OUT gives it).</summary>
    public void TimestampMicros(long pgMicros) => Int64(pgMicros);

    /// <summary>Starts a one-dimensional text[]; add elements with <c>Text</c>, then <see cref="EndTextArray"/>.</summary>
    public int StartTextArray()
    {
        var start = _length;
        Span(24);
        _length += 4 + 20; // length, then ndim, has-nulls, element type, dimension size, lower bound
        return start;
    }

    public void EndTextArray(int start, int count)
    {
        var body = _buffer.AsSpan(start + 4);
        if (count == 0)
        {
            // An empty array has no dimensions: ndim 0, no nulls, the element type, and nothing else.
            BinaryPrimitives.WriteInt32BigEndian(body, 0);
            BinaryPrimitives.WriteInt32BigEndian(body[4..], 0);
            BinaryPrimitives.WriteUInt32BigEndian(body[8..], BinaryCopy.TextOid);
            _length = start + 4 + 12;
        }
        else
        {
            BinaryPrimitives.WriteInt32BigEndian(body, 1);
            BinaryPrimitives.WriteInt32BigEndian(body[4..], 0);
            BinaryPrimitives.WriteUInt32BigEndian(body[8..], BinaryCopy.TextOid);
            BinaryPrimitives.WriteInt32BigEndian(body[12..], count);
            BinaryPrimitives.WriteInt32BigEndian(body[16..], 1);
        }
        BinaryPrimitives.WriteInt32BigEndian(_buffer.AsSpan(start), _length - start - 4);
    }

    /// <summary>Empties the buffer, keeping its memory for the next rows.</summary>
    public void Clear()
    {
        _length = 0;
        Rows = 0;
    }

    /// <summary>Sends every buffered row with one COPY on <paramref name="conn"/> (inside its current transaction).</summary>
    public async Task CopyAsync(NpgsqlConnection conn, string copyFromStdin, CancellationToken ct)
    {
        if (Rows == 0) return;
        await using var copy = await conn.BeginRawBinaryCopyAsync(copyFromStdin, ct);
        await copy.WriteAsync(BinaryCopy.Header, ct);
        await copy.WriteAsync(_buffer.AsMemory(0, _length), ct);
        await copy.WriteAsync(BinaryCopy.Trailer, ct);
    }

    private void Int32Raw(int value)
    {
        Span(4);
        BinaryPrimitives.WriteInt32BigEndian(_buffer.AsSpan(_length), value);
        _length += 4;
    }

    private void Span(int bytes)
    {
        if (_length + bytes <= _buffer.Length) return;
        Array.Resize(ref _buffer, Math.Max(_buffer.Length * 2, _length + bytes));
    }
}

/// <summary>
/// Reads the rows of a <c>COPY … TO STDOUT (FORMAT BINARY)</c> as raw bytes. <see cref="NextAsync"/> buffers one
/// whole row; the spans it hands out stay valid until the next call.
/// </summary>
public sealed class BinaryCopyReader(Stream source)
{
    private byte[] _buffer = new byte[1 << 20];
    private int _start, _end, _rowLength;
    private bool _headerRead, _done;
    private int[] _offsets = new int[16];
    private int[] _lengths = new int[16];

    public int FieldCount { get; private set; }

    public async ValueTask<bool> NextAsync(CancellationToken ct)
    {
        if (_done) return false;
        _start += _rowLength;
        _rowLength = 0;
        if (!_headerRead)
        {
            if (!await FillAsync(BinaryCopy.Header.Length, ct)) throw new InvalidDataException("COPY output ended before its header");
            if (!_buffer.AsSpan(_start, 11).SequenceEqual(BinaryCopy.Header.AsSpan(0, 11))) throw new InvalidDataException("Not a binary COPY stream");
            var extension = BinaryPrimitives.ReadInt32BigEndian(_buffer.AsSpan(_start + 15));
            _start += BinaryCopy.Header.Length;
            if (extension > 0 && !await FillAsync(extension, ct)) throw new InvalidDataException("COPY output ended inside its header");
            _start += extension;
            _headerRead = true;
        }
        int length;
        while ((length = Measure()) < 0)
            if (!await FillAsync(_end - _start + 1, ct)) throw new InvalidDataException("COPY output ended inside a row");
        if (FieldCount < 0)
        {
            // The trailer: read on to the end, so that the COPY completes instead of being cancelled on dispose.
            _done = true;
            while (await source.ReadAsync(_buffer, CancellationToken.None) > 0) { }
            return false;
        }
        _rowLength = length;
        return true;
    }

    public ReadOnlySpan<byte> Bytes(int field) => _lengths[field] < 0 ? default : _buffer.AsSpan(_offsets[field], _lengths[field]);

    public long Int64(int field) => BinaryPrimitives.ReadInt64BigEndian(Bytes(field));

    /// <summary>The length of the row at <c>_start</c> with its field offsets, or -1 when it is not wholly buffered yet.</summary>
    private int Measure()
    {
        var b = _buffer.AsSpan(_start, _end - _start);
        if (b.Length < 2) return -1;
        FieldCount = BinaryPrimitives.ReadInt16BigEndian(b);
        if (FieldCount < 0) return 2;
        if (FieldCount > _offsets.Length)
        {
            _offsets = new int[FieldCount];
            _lengths = new int[FieldCount];
        }
        var p = 2;
        for (var i = 0; i < FieldCount; i++)
        {
            if (b.Length < p + 4) return -1;
            var n = BinaryPrimitives.ReadInt32BigEndian(b[p..]);
            p += 4;
            _offsets[i] = _start + p;
            _lengths[i] = n;
            if (n > 0) p += n;
        }
        return b.Length >= p ? p : -1;
    }

    /// <summary>Reads until at least <paramref name="bytes"/> unread bytes are buffered; false at the end of the stream.</summary>
    private async ValueTask<bool> FillAsync(int bytes, CancellationToken ct)
    {
        while (_end - _start < bytes)
        {
            if (_start > 0)
            {
                Buffer.BlockCopy(_buffer, _start, _buffer, 0, _end - _start);
                _end -= _start;
                _start = 0;
            }
            if (_buffer.Length < bytes || _end == _buffer.Length) Array.Resize(ref _buffer, Math.Max(_buffer.Length * 2, bytes));
            // The server sends one message per row, so this runs once per row: checking the token here, instead of
            // handing it to the read, saves Npgsql a cancellation registration per row (half of this reader's time).
            ct.ThrowIfCancellationRequested();
            var n = await source.ReadAsync(_buffer.AsMemory(_end), CancellationToken.None);
            if (n == 0) return false;
            _end += n;
        }
        return true;
    }
}
