using Narrative.EventStore.Postgres;
using Narrative.EventStore.Subscriptions;
using Npgsql;

namespace Narrative.EventStore;

/// <summary>
/// The global order from the start, as raw rows of one binary <c>COPY … TO STDOUT</c>: no per-row objects, no
/// UTF-16 strings, only the columns a rebuild needs. Same horizon rule as <see cref="EventStore.ReadAllAsync(GlobalCursor, int, CancellationToken)"/>.
/// </summary>
public sealed class RawLogReader : IAsyncDisposable
{
    private const string Sql = $"""
        copy (select tx_id, position, recorded_at, type, data from events
              where {EventStore.FinishedTransactions}
              order by tx_id, position) to stdout (format binary)
        """;

    private readonly NpgsqlRawCopyStream _stream;
    private readonly BinaryCopyReader _rows;

    private RawLogReader(NpgsqlRawCopyStream stream)
    {
        _stream = stream;
        _rows = new BinaryCopyReader(stream);
    }

    public static async Task<RawLogReader> OpenAsync(NpgsqlConnection conn, CancellationToken ct) =>
        new(await conn.BeginRawBinaryCopyAsync(Sql, ct));

    /// <summary>Moves to the next event; false after the last. <see cref="Current"/> is valid until the next call.</summary>
    public ValueTask<bool> NextAsync(CancellationToken ct) => _rows.NextAsync(ct);

    public RawEvent Current => new(_rows.Int64(0), _rows.Int64(1), _rows.Int64(2), _rows.Bytes(3), _rows.Bytes(4));

    public GlobalCursor Cursor => new(_rows.Int64(0), _rows.Int64(1));

    public ValueTask DisposeAsync() => _stream.DisposeAsync();
}

