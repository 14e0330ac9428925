using System.Collections.Frozen;
using System.Data;
using Narrative.EventStore.Subscriptions;
using Npgsql;
using Serilog;
using Serilog.Context;

namespace Narrative.EventStore.Handlers;

/// <summary>
/// Runs one handler off the global order, under <see cref="SubscriptionRunner"/> (one owner, checkpoint in the batch
/// transaction, LISTEN/NOTIFY, reconnects). Each event gets a savepoint per attempt; after the last attempt it is
/// dead-lettered in the same transaction and the subscription moves on.
/// </summary>
public sealed class HandlerSubscription : ISubscription
{
    private readonly HandlerRegistration _handler;
    private readonly HandlerOptions _options;
    private readonly FrozenDictionary<string, HandlerMethod> _methods;

    public HandlerSubscription(HandlerRegistration handler, EventTypeRegistry types, HandlerOptions options)
    {
        _handler = handler;
        _options = options;
        _methods = handler.ByTypeName(types);
    }

    public string Name => _handler.Name;
    public string Kind => "handler";

    public async Task HandleAsync(SubscriptionBatch batch, CancellationToken ct)
    {
        foreach (var e in batch.Events)
        {
            if (!_methods.TryGetValue(e.Type, out var method)) continue;
            var result = await HandlerInvoker.RunAsync(_handler, method, _options, batch.Store, batch.Connection, batch.Transaction, e,
                replay: false, ct);
            if (result.Outcome == InvokeOutcome.Failed)
                await HandlerInvoker.DeadLetterAsync(_handler, batch.Connection, batch.Transaction, e, result, ct);
        }
    }

    internal FrozenDictionary<string, HandlerMethod> Methods => _methods;
}

internal enum InvokeOutcome { Handled, Skipped, Failed }

internal sealed record InvokeResult(InvokeOutcome Outcome, int Attempts, Exception? Error = null);

internal static class HandlerInvoker
{
    private const string Savepoint = "handler_attempt";

    /// <summary>
    /// Tries the handler up to its attempts, each inside a savepoint that also claims the inbox row. Errors that mean the
    /// connection is gone (or cancellation) are not handler failures: they propagate so the runner reconnects.
    /// </summary>
    public static async Task<InvokeResult> RunAsync(HandlerRegistration handler, HandlerMethod method, HandlerOptions options, EventStore store,
        NpgsqlConnection conn, NpgsqlTransaction tx, StoredEvent e, bool replay, CancellationToken ct)
    {
        using var _ = LogContext.PushProperty("CorrelationId", e.EventId);
        Exception? last = null;
        for (var attempt = 1; attempt <= handler.MaxAttempts; attempt++)
        {
            await tx.SaveAsync(Savepoint, ct);
            try
            {
                if (!await ClaimInboxAsync(handler.Name, conn, tx, e, replay, ct))
                {
                    await tx.ReleaseAsync(Savepoint, ct);
                    return new InvokeResult(InvokeOutcome.Skipped, 0);
                }
                var metadata = store.Types.ReadMetadata(e);
                var data = store.Types.Deserialize(e) ?? throw new InvalidOperationException($"Event {e.EventId} of type {e.Type} has no data");
                var context = new HandlerContext(handler.Name, e, metadata, attempt, store, conn, tx, options);
                await method.Invoke(handler.CreateHandler(), data, context, ct);
                await tx.ReleaseAsync(Savepoint, ct);
                if (attempt > 1)
                    Log.Information("Handler {Handler} handled {EventId} at attempt {Attempt}", handler.Name, e.EventId, attempt);
                return new InvokeResult(InvokeOutcome.Handled, attempt);
            }
            catch (Exception ex) when (IsHandlerFailure(ex, conn, ct))
            {
                await tx.RollbackAsync(Savepoint, ct);
                last = ex;
                Log.Warning(ex, "Handler {Handler} failed on {EventId} at {Position} (attempt {Attempt} of {MaxAttempts})",
                    handler.Name, e.EventId, e.Position, attempt, handler.MaxAttempts);
                if (!replay) await RecordAttemptAsync(store, handler.Name, ex, attempt, ct);
                if (attempt < handler.MaxAttempts) await Task.Delay(options.Backoff(attempt), ct);
            }
        }
        return new InvokeResult(InvokeOutcome.Failed, handler.MaxAttempts, last);
    }

    private static bool IsHandlerFailure(Exception ex, NpgsqlConnection conn, CancellationToken ct) =>
        !(ex is OperationCanceledException && ct.IsCancellationRequested)
        && conn.FullState == ConnectionState.Open
        && !(ex is NpgsqlException and not PostgresException);

    /// <summary>
    /// Inserts the inbox row; false when the handler already handled this event, or (outside a replay) when the event
    /// has an open dead letter, so a redelivery neither repeats an effect nor dead-letters twice.
    /// </summary>
    private static async Task<bool> ClaimInboxAsync(string handler, NpgsqlConnection conn, NpgsqlTransaction tx, StoredEvent e, bool replay,
        CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand(replay
            ? "insert into handler_inbox (handler, event_id, position) values ($1, $2, $3) on conflict do nothing"
            : """
              insert into handler_inbox (handler, event_id, position)
              select $1, $2, $3
              where not exists (select 1 from handler_dead_letters d where d.handler = $1 and d.event_id = $2 and d.replayed_at is null)
              on conflict do nothing
              """, conn, tx);
        cmd.Parameters.Add(new() { Value = handler });
        cmd.Parameters.Add(new() { Value = e.EventId });
        cmd.Parameters.Add(new() { Value = e.Position });
        return await cmd.ExecuteNonQueryAsync(ct) == 1;
    }

    public static async Task DeadLetterAsync(HandlerRegistration handler, NpgsqlConnection conn, NpgsqlTransaction tx, StoredEvent e,
        InvokeResult result, CancellationToken ct)
    {
        var error = result.Error!;
        await using var cmd = new NpgsqlCommand("""
            insert into handler_dead_letters
                (handler, event_id, position, tx_id, stream_id, event_type, attempts, error_type, error_message, error_stack)
            values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
            on conflict (handler, event_id) where replayed_at is null do nothing
            """, conn, tx);
        cmd.Parameters.Add(new() { Value = handler.Name });
        cmd.Parameters.Add(new() { Value = e.EventId });
        cmd.Parameters.Add(new() { Value = e.Position });
        cmd.Parameters.Add(new() { Value = e.TxId });
        cmd.Parameters.Add(new() { Value = e.StreamId });
        cmd.Parameters.Add(new() { Value = e.Type });
        cmd.Parameters.Add(new() { Value = result.Attempts });
        cmd.Parameters.Add(new() { Value = error.GetType().FullName ?? error.GetType().Name });
        cmd.Parameters.Add(new() { Value = error.Message });
        cmd.Parameters.Add(new() { Value = (object?)error.ToString() ?? DBNull.Value });
        await cmd.ExecuteNonQueryAsync(ct);
        Log.Error(error, "Handler {Handler} dead-lettered {EventId} at {Position} ({Type}) after {Attempts} attempts",
            handler.Name, e.EventId, e.Position, e.Type, result.Attempts);
    }

    /// <summary>
    /// Shows a retrying handler as failing in the status while its batch transaction is still open. Written on its own
    /// connection; the batch commit clears it again.
    /// </summary>
    private static async Task RecordAttemptAsync(EventStore store, string handler, Exception ex, int attempt, CancellationToken ct)
    {
        try
        {
            await using var cmd = store.DataSource.CreateCommand(
                "update checkpoints set last_error = $2, error_at = now(), attempts = $3 where name = $1");
            cmd.Parameters.Add(new() { Value = handler });
            cmd.Parameters.Add(new() { Value = $"{ex.GetType().Name}: {ex.Message}" });
            cmd.Parameters.Add(new() { Value = attempt });
            await cmd.ExecuteNonQueryAsync(ct);
        }
        catch (Exception inner) when (inner is NpgsqlException or IOException or TimeoutException or InvalidOperationException)
        {
            Log.Debug(inner, "Could not record the failed attempt of {Handler}", handler);
        }
    }
}
