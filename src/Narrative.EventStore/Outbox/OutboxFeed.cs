using System.Runtime.CompilerServices;
using Npgsql;
using NpgsqlTypes;
using Serilog;

namespace Narrative.EventStore.Outbox;

/// <summary>
/// The in-process broadcast of outbox messages, for Server-Sent Events. It follows the outbox table itself rather than
/// the dispatcher, so every API process serves live alerts whether or not it owns the dispatcher, and a client that
/// reconnects with Last-Event-ID (an outbox id) gets everything it missed.
/// <para>
/// Order is (tx_id, id) below the snapshot xmin, as for the event log: ids are assigned at insert, so a smaller id may
/// commit later; reading only finished transactions in (tx_id, id) order means a cursor never skips one.
/// </para>
/// </summary>
public sealed class OutboxFeed(NpgsqlDataSource db, OutboxOptions? options = null)
{
    private readonly OutboxOptions _options = options ?? new OutboxOptions();
    private TaskCompletionSource _signal = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>
    /// Listens on <c>narrative_outbox</c> and wakes subscribers. Optional: without it subscribers still poll at
    /// <see cref="OutboxOptions.PollInterval"/>. Reconnects by itself.
    /// </summary>
    public async Task RunAsync(CancellationToken ct)
    {
        var failures = 0;
        while (!ct.IsCancellationRequested)
        {
            try
            {
                await using var conn = await db.OpenConnectionAsync(ct);
                conn.Notification += (_, _) => Pulse();
                await using (var listen = new NpgsqlCommand("listen narrative_outbox", conn))
                    await listen.ExecuteNonQueryAsync(ct);
                failures = 0;
                Pulse(); // anything published while we were not listening
                while (!ct.IsCancellationRequested) await conn.WaitAsync(ct);
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex) when (ex is NpgsqlException or IOException or TimeoutException or InvalidOperationException)
            {
                var delay = _options.ReconnectDelay(++failures);
                Log.Warning(ex, "Outbox feed lost its connection; reconnecting in {Delay}", delay);
                try { await Task.Delay(delay, ct); } catch (OperationCanceledException) { return; }
            }
        }
    }

    private void Pulse() => Interlocked.Exchange(ref _signal, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();

    /// <summary>Messages after outbox id <paramref name="afterId"/> (0 = from the start), oldest first, optionally of one kind.</summary>
    public async Task<IReadOnlyList<OutboxMessage>> ReadSinceAsync(long afterId, CancellationToken ct, string? kind = null, int limit = 100)
    {
        await using var conn = await db.OpenConnectionAsync(ct);
        var cursor = await ResolveAsync(conn, afterId, ct);
        return await ReadAsync(conn, cursor, kind, limit, ct);
    }

    /// <summary>
    /// Everything after <paramref name="afterId"/>, then live messages as they commit, until cancelled. Survives database
    /// restarts (it retries), so an SSE response can simply enumerate it.
    /// </summary>
    public async IAsyncEnumerable<OutboxMessage> SubscribeAsync(long afterId, [EnumeratorCancellation] CancellationToken ct, string? kind = null)
    {
        (long Tx, long Id)? cursor = null;
        var failures = 0;
        while (!ct.IsCancellationRequested)
        {
            var woken = Volatile.Read(ref _signal).Task;
            IReadOnlyList<OutboxMessage> page;
            try
            {
                await using var conn = await db.OpenConnectionAsync(ct);
                cursor ??= await ResolveAsync(conn, afterId, ct);
                page = await ReadAsync(conn, cursor.Value, kind, _options.BatchSize, ct);
                failures = 0;
            }
            catch (Exception ex) when (ex is NpgsqlException or IOException or TimeoutException)
            {
                Log.Debug(ex, "Outbox subscriber could not read; retrying");
                page = [];
                await Task.Delay(_options.ReconnectDelay(++failures), ct);
                continue;
            }
            foreach (var m in page)
            {
                cursor = (m.TxId, m.Id);
                yield return m;
            }
            if (page.Count == _options.BatchSize) continue;
            await Task.WhenAny(woken, Task.Delay(_options.PollInterval, ct)).WaitAsync(ct);
        }
    }

    private static async Task<(long Tx, long Id)> ResolveAsync(NpgsqlConnection conn, long afterId, CancellationToken ct)
    {
        if (afterId <= 0) return (0, 0);
        await using var cmd = new NpgsqlCommand("select tx_id from outbox where id = $1", conn);
        cmd.Parameters.Add(new() { Value = afterId });
        // An unknown id (from another database, say) starts from the beginning rather than silently skipping.
        return await cmd.ExecuteScalarAsync(ct) is long tx ? (tx, afterId) : (0, 0);
    }

    private static async Task<IReadOnlyList<OutboxMessage>> ReadAsync(NpgsqlConnection conn, (long Tx, long Id) after, string? kind, int limit,
        CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand($"""
            select {OutboxMessage.Columns} from outbox
            where (tx_id, id) > ($1, $2) and {EventStore.FinishedTransactions}
              and ($3::text is null or kind = $3)
            order by tx_id, id limit $4
            """, conn);
        cmd.Parameters.Add(new() { Value = after.Tx });
        cmd.Parameters.Add(new() { Value = after.Id });
        cmd.Parameters.Add(new() { Value = (object?)kind ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text });
        cmd.Parameters.Add(new() { Value = limit });
        var list = new List<OutboxMessage>();
        await using var r = await cmd.ExecuteReaderAsync(ct);
        while (await r.ReadAsync(ct)) list.Add(OutboxMessage.Read(r));
        return list;
    }
}
