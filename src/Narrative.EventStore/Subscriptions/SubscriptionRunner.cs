using System.Security.Cryptography;
using System.Text;
using Npgsql;
using Serilog;

namespace Narrative.EventStore.Subscriptions;

public sealed record SubscriptionOptions
{
    public int BatchSize { get; init; } = 500;

    /// <summary>Fallback poll when no NOTIFY arrives; also how often a standby node tries to take over.</summary>
    public TimeSpan PollInterval { get; init; } = TimeSpan.FromMilliseconds(500);

    public TimeSpan MaxBackoff { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Names this process in the status (owner column).</summary>
    public string NodeId { get; init; } = $"{Environment.MachineName}:{Environment.ProcessId}";
}

/// <summary>
/// Runs one subscription: one owner across all processes through a session advisory lock held on the very
/// connection that processes the batches. If that connection dies, the lock goes with it and no further batch can
/// commit on it, so two owners can never write; a standby takes over at its next poll.
/// Wakes on LISTEN/NOTIFY, polls as a fallback, and reconnects by itself after a database restart.
/// </summary>
public sealed class SubscriptionRunner(EventStore store, ISubscription subscription, SubscriptionOptions? options = null)
{
    private readonly SubscriptionOptions _options = options ?? new SubscriptionOptions();

    public ISubscription Subscription => subscription;

    public static long LockKey(string name) =>
        BitConverter.ToInt64(SHA256.HashData(Encoding.UTF8.GetBytes("narrative.subscription:" + name)), 0);

    /// <summary>Taken for each batch and by a rebuild's swap, so the two never interleave.</summary>
    public static long BatchLockKey(string name) => LockKey(name) ^ 0x5A5A5A5A;

    public async Task RunAsync(CancellationToken ct)
    {
        var failures = 0;
        while (!ct.IsCancellationRequested)
        {
            try
            {
                await OwnAndProcessAsync(ct);
                failures = 0;
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex) when (ex is NpgsqlException or IOException or TimeoutException or InvalidOperationException)
            {
                failures++;
                var delay = Backoff(failures);
                Log.Warning(ex, "Subscription {Subscription} lost its connection or failed; retrying in {Delay}", subscription.Name, delay);
                await RecordErrorAsync(ex, ct);
                try { await Task.Delay(delay, ct); } catch (OperationCanceledException) { return; }
            }
        }
    }

    private TimeSpan Backoff(int failures) =>
        TimeSpan.FromMilliseconds(Math.Min(_options.MaxBackoff.TotalMilliseconds, 100 * Math.Pow(2, Math.Min(failures, 10)) + Random.Shared.Next(0, 100)));

    private async Task OwnAndProcessAsync(CancellationToken ct)
    {
        await using var conn = await store.DataSource.OpenConnectionAsync(ct);
        if (!await TryLockAsync(conn, ct))
        {
            await Task.Delay(_options.PollInterval, ct);
            return;
        }
        Log.Information("{Node} owns subscription {Subscription}", _options.NodeId, subscription.Name);
        await Exec(conn, "listen narrative_events", ct);
        var cursor = await ClaimAsync(conn, ct);
        var handlerFailures = 0;

        while (!ct.IsCancellationRequested)
        {
            var events = await store.ReadAllAsync(conn, null, cursor, _options.BatchSize, ct);
            if (events.Count == 0)
            {
                await conn.WaitAsync(_options.PollInterval, ct);
                continue;
            }
            try
            {
                cursor = await ProcessBatchAsync(conn, events, ct);
                handlerFailures = 0;
            }
            catch (Exception ex) when (ex is not OperationCanceledException && conn.FullState == System.Data.ConnectionState.Open)
            {
                // The subscription's own code failed: stay owner, record the error, back off and retry the batch.
                handlerFailures++;
                Log.Error(ex, "Subscription {Subscription} failed at {Cursor} (attempt {Attempt})", subscription.Name, cursor, handlerFailures);
                await RecordErrorAsync(ex, ct, handlerFailures);
                await Task.Delay(Backoff(handlerFailures), ct);
            }
        }
    }

    private async Task<GlobalCursor> ProcessBatchAsync(NpgsqlConnection conn, IReadOnlyList<StoredEvent> events, CancellationToken ct)
    {
        await using var tx = await conn.BeginTransactionAsync(ct);
        await using (var l = new NpgsqlCommand($"select pg_advisory_xact_lock({BatchLockKey(subscription.Name)})", conn, tx))
            await l.ExecuteNonQueryAsync(ct);
        // A rebuild may have swapped the read model and moved the checkpoint while we waited for the lock.
        var stored = await ReadCheckpointAsync(conn, tx, ct);
        if (stored.CompareTo(events[0].Cursor) >= 0)
            events = events.Where(e => e.Cursor.CompareTo(stored) > 0).ToList();
        if (events.Count > 0)
        {
            var schema = subscription is IRebuildableProjection p ? p.Schema : "public";
            await subscription.HandleAsync(new SubscriptionBatch(conn, tx, store, events, schema), ct);
        }
        var last = events.Count > 0 ? events[^1].Cursor : stored;
        await using (var cp = new NpgsqlCommand("""
            update checkpoints set tx_id = $2, position = $3, updated_at = now(), owner = $4, attempts = 0, last_error = null, error_at = null
            where name = $1
            """, conn, tx))
        {
            cp.Parameters.Add(new() { Value = subscription.Name });
            cp.Parameters.Add(new() { Value = last.TxId });
            cp.Parameters.Add(new() { Value = last.Position });
            cp.Parameters.Add(new() { Value = _options.NodeId });
            await cp.ExecuteNonQueryAsync(ct);
        }
        await tx.CommitAsync(ct);
        return last;
    }

    private async Task<bool> TryLockAsync(NpgsqlConnection conn, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand($"select pg_try_advisory_lock({LockKey(subscription.Name)})", conn);
        return (bool)(await cmd.ExecuteScalarAsync(ct))!;
    }

    private async Task<GlobalCursor> ClaimAsync(NpgsqlConnection conn, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand("""
            insert into checkpoints (name, kind, owner, started_at) values ($1, $2, $3, now())
            on conflict (name) do update set owner = excluded.owner, kind = excluded.kind, started_at = now()
            returning tx_id, position
            """, conn);
        cmd.Parameters.Add(new() { Value = subscription.Name });
        cmd.Parameters.Add(new() { Value = subscription.Kind });
        cmd.Parameters.Add(new() { Value = _options.NodeId });
        await using var r = await cmd.ExecuteReaderAsync(ct);
        await r.ReadAsync(ct);
        return new GlobalCursor(r.GetInt64(0), r.GetInt64(1));
    }

    private async Task<GlobalCursor> ReadCheckpointAsync(NpgsqlConnection conn, NpgsqlTransaction tx, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand("select tx_id, position from checkpoints where name = $1", conn, tx);
        cmd.Parameters.Add(new() { Value = subscription.Name });
        await using var r = await cmd.ExecuteReaderAsync(ct);
        return await r.ReadAsync(ct) ? new GlobalCursor(r.GetInt64(0), r.GetInt64(1)) : GlobalCursor.Start;
    }

    private async Task RecordErrorAsync(Exception ex, CancellationToken ct, int attempts = 0)
    {
        try
        {
            await using var cmd = store.DataSource.CreateCommand(
                "update checkpoints set last_error = $2, error_at = now(), attempts = $3 where name = $1");
            cmd.Parameters.Add(new() { Value = subscription.Name });
            cmd.Parameters.Add(new() { Value = $"{ex.GetType().Name}: {ex.Message}" });
            cmd.Parameters.Add(new() { Value = attempts });
            await cmd.ExecuteNonQueryAsync(ct);
        }
        catch (Exception inner) when (inner is NpgsqlException or IOException or TimeoutException or InvalidOperationException)
        {
            Log.Debug(inner, "Could not record the error of {Subscription}", subscription.Name);
        }
    }

    private static async Task Exec(NpgsqlConnection conn, string sql, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand(sql, conn);
        await cmd.ExecuteNonQueryAsync(ct);
    }
}
