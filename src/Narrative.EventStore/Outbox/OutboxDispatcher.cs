using System.Security.Cryptography;
using System.Text;
using Npgsql;
using NpgsqlTypes;
using Serilog;

namespace Narrative.EventStore.Outbox;

/// <summary>Somewhere outbox messages go. Delivery is at least once: a sink should tolerate a repeated message id.</summary>
public interface IOutboxSink
{
    /// <summary>Stable: delivery state is kept per (message, sink name).</summary>
    string Name { get; }

    /// <summary>Throws when the message was not delivered; it is retried with backoff.</summary>
    Task DeliverAsync(OutboxMessage message, CancellationToken ct);
}

/// <summary>
/// Delivers pending outbox messages to the sinks, one owner across processes (session advisory lock on its connection).
/// Wakes on NOTIFY <c>narrative_outbox</c> and polls. Each (message, sink) delivery records attempts, last error and the
/// next attempt in <c>outbox_deliveries</c>; a message stays pending until every sink has it, so a listener that is down
/// gets it when it comes back. Reconnects by itself.
/// </summary>
public sealed class OutboxDispatcher(NpgsqlDataSource db, IEnumerable<IOutboxSink> sinks, OutboxOptions? options = null)
{
    private readonly OutboxOptions _options = options ?? new OutboxOptions();
    private readonly IReadOnlyList<IOutboxSink> _sinks = sinks.ToList();

    public static readonly long LockKey = BitConverter.ToInt64(SHA256.HashData(Encoding.UTF8.GetBytes("narrative.outbox-dispatcher")), 0);

    public async Task RunAsync(CancellationToken ct)
    {
        var failures = 0;
        while (!ct.IsCancellationRequested)
        {
            try
            {
                await OwnAndDispatchAsync(ct);
                failures = 0;
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex) when (ex is NpgsqlException or IOException or TimeoutException or InvalidOperationException)
            {
                var delay = _options.ReconnectDelay(++failures);
                Log.Warning(ex, "Outbox dispatcher lost its connection or failed; retrying in {Delay}", delay);
                try { await Task.Delay(delay, ct); } catch (OperationCanceledException) { return; }
            }
        }
    }

    private async Task OwnAndDispatchAsync(CancellationToken ct)
    {
        await using var conn = await db.OpenConnectionAsync(ct);
        await using (var lockCmd = new NpgsqlCommand($"select pg_try_advisory_lock({LockKey})", conn))
        {
            if (!(bool)(await lockCmd.ExecuteScalarAsync(ct))!)
            {
                await Task.Delay(_options.PollInterval, ct);
                return;
            }
        }
        Log.Information("{Node} owns the outbox dispatcher with {Sinks} sinks", _options.NodeId, _sinks.Count);
        await using (var listen = new NpgsqlCommand("listen narrative_outbox", conn))
            await listen.ExecuteNonQueryAsync(ct);
        while (!ct.IsCancellationRequested)
        {
            var worked = await DispatchOnceAsync(conn, ct);
            if (!worked) await conn.WaitAsync(_options.PollInterval, ct);
        }
    }

    /// <summary>One round over the messages that have a delivery due. True when it attempted anything.</summary>
    private async Task<bool> DispatchOnceAsync(NpgsqlConnection conn, CancellationToken ct)
    {
        var names = _sinks.Select(s => s.Name).ToArray();
        var due = new List<(OutboxMessage Message, List<(string Sink, int Attempts)> Sinks)>();
        await using (var cmd = new NpgsqlCommand($"""
            select {string.Join(", ", OutboxMessage.Columns.Split(", ").Select(c => "o." + c))},
                   s.name, coalesce(d.attempts, 0)
            from (select * from outbox where dispatched_at is null order by id limit $2) o
            cross join unnest($1::text[]) s(name)
            left join outbox_deliveries d on d.outbox_id = o.id and d.sink = s.name
            where d.delivered_at is null and (d.next_attempt_at is null or d.next_attempt_at <= now())
            order by o.id
            """, conn))
        {
            cmd.Parameters.Add(new() { Value = names, NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text });
            cmd.Parameters.Add(new() { Value = _options.BatchSize });
            await using var r = await cmd.ExecuteReaderAsync(ct);
            while (await r.ReadAsync(ct))
            {
                var m = OutboxMessage.Read(r);
                if (due.Count == 0 || due[^1].Message.Id != m.Id) due.Add((m, []));
                due[^1].Sinks.Add((r.GetString(8), r.GetInt32(9)));
            }
        }

        foreach (var (message, targets) in due)
        foreach (var (sinkName, attempts) in targets)
        {
            var sink = _sinks.First(s => s.Name == sinkName);
            string? error = null;
            try
            {
                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
                timeout.CancelAfter(_options.DeliveryTimeout);
                await sink.DeliverAsync(message, timeout.Token);
            }
            catch (Exception ex) when (!ct.IsCancellationRequested)
            {
                error = $"{ex.GetType().Name}: {ex.Message}";
                Log.Warning("Outbox message {OutboxId} to {Sink} failed (attempt {Attempt}): {Error}", message.Id, sinkName, attempts + 1, error);
            }
            await RecordAsync(conn, message.Id, sinkName, error, error is null ? null : _options.RetryDelay(attempts + 1), ct);
        }

        // A message is dispatched once every sink has it (at once when there are no sinks).
        await using (var done = new NpgsqlCommand("""
            update outbox o set dispatched_at = now()
            where o.dispatched_at is null and o.id in (select id from outbox where dispatched_at is null order by id limit $2)
              and not exists (
                select 1 from unnest($1::text[]) s(name)
                where not exists (select 1 from outbox_deliveries d where d.outbox_id = o.id and d.sink = s.name and d.delivered_at is not null))
            """, conn))
        {
            done.Parameters.Add(new() { Value = names, NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text });
            done.Parameters.Add(new() { Value = _options.BatchSize * 10 });
            await done.ExecuteNonQueryAsync(ct);
        }
        return due.Count > 0;
    }

    private static async Task RecordAsync(NpgsqlConnection conn, long id, string sink, string? error, TimeSpan? retryIn, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand("""
            insert into outbox_deliveries as d (outbox_id, sink, attempts, last_error, last_attempt_at, next_attempt_at, delivered_at)
            values ($1, $2, 1, $3, now(), now() + $4, case when $3::text is null then now() end)
            on conflict (outbox_id, sink) do update set
                attempts = d.attempts + 1,
                last_error = coalesce(excluded.last_error, d.last_error),
                last_attempt_at = excluded.last_attempt_at,
                next_attempt_at = excluded.next_attempt_at,
                delivered_at = excluded.delivered_at
            """, conn);
        cmd.Parameters.Add(new() { Value = id });
        cmd.Parameters.Add(new() { Value = sink });
        cmd.Parameters.Add(new() { Value = (object?)error ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text });
        cmd.Parameters.Add(new() { Value = (object?)retryIn ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Interval });
        await cmd.ExecuteNonQueryAsync(ct);
    }
}

public sealed record OutboxDelivery(long OutboxId, string Sink, int Attempts, string? LastError, DateTimeOffset? LastAttemptAt,
    DateTimeOffset? NextAttemptAt, DateTimeOffset? DeliveredAt);

public static class OutboxDeliveryQuery
{
    /// <summary>Delivery state per (message, sink), newest first: for the admin API.</summary>
    public static async Task<IReadOnlyList<OutboxDelivery>> ReadAsync(NpgsqlDataSource db, CancellationToken ct, bool pendingOnly = false, int limit = 100)
    {
        await using var cmd = db.CreateCommand("""
            select outbox_id, sink, attempts, last_error, last_attempt_at, next_attempt_at, delivered_at from outbox_deliveries
            where not $1 or delivered_at is null
            order by outbox_id desc, sink limit $2
            """);
        cmd.Parameters.Add(new() { Value = pendingOnly });
        cmd.Parameters.Add(new() { Value = limit });
        var list = new List<OutboxDelivery>();
        await using var r = await cmd.ExecuteReaderAsync(ct);
        while (await r.ReadAsync(ct))
            list.Add(new OutboxDelivery(r.GetInt64(0), r.GetString(1), r.GetInt32(2), r.IsDBNull(3) ? null : r.GetString(3),
                Utc(r, 4), Utc(r, 5), Utc(r, 6)));
        return list;
    }

    private static DateTimeOffset? Utc(NpgsqlDataReader r, int i) =>
        r.IsDBNull(i) ? null : new DateTimeOffset(DateTime.SpecifyKind(r.GetDateTime(i), DateTimeKind.Utc));
}
