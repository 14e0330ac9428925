using Narrative.EventStore.Subscriptions;
using Npgsql;
using Serilog;

namespace Narrative.EventStore.Handlers;

public sealed record DeadLetter(
    long Id, string Handler, Guid EventId, long Position, string StreamId, string EventType, int Attempts,
    string ErrorType, string ErrorMessage, string? ErrorStack, DateTimeOffset FailedAt,
    DateTimeOffset? ReplayedAt, int ReplayAttempts, string? LastReplayError, DateTimeOffset? LastReplayAt);

public enum ReplayOutcome
{
    /// <summary>The handler ran and succeeded; the dead letter is marked replayed.</summary>
    Replayed,

    /// <summary>The inbox already holds the event (handled since); the dead letter is marked replayed, nothing ran.</summary>
    AlreadyHandled,

    /// <summary>The dead letter was replayed before; nothing ran.</summary>
    AlreadyReplayed,

    /// <summary>The handler failed again on every attempt; the dead letter stays open with the replay error recorded.</summary>
    Failed,

    NotFound,

    /// <summary>This process has no handler of that name registered, or it no longer handles the event's type.</summary>
    UnknownHandler,
}

public sealed record ReplayResult(ReplayOutcome Outcome, DeadLetter? DeadLetter, string? Error = null);

/// <summary>Lists and replays dead letters. Rows are never deleted; a successful replay stamps <c>replayed_at</c>.</summary>
public sealed class DeadLetters(EventStore store, HandlerRegistry handlers, HandlerOptions? options = null)
{
    private readonly HandlerOptions _options = options ?? new HandlerOptions();

    private const string Columns = """
        id, handler, event_id, position, stream_id, event_type, attempts, error_type, error_message, error_stack, failed_at,
        replayed_at, replay_attempts, last_replay_error, last_replay_at
        """;

    /// <summary>Newest first. <paramref name="beforeId"/> pages backwards (0 = from the newest).</summary>
    public async Task<IReadOnlyList<DeadLetter>> ListAsync(CancellationToken ct, string? handler = null, bool includeReplayed = true,
        long beforeId = 0, int limit = 100)
    {
        await using var cmd = store.DataSource.CreateCommand($"""
            select {Columns} from handler_dead_letters
            where ($1::text is null or handler = $1) and ($2 or replayed_at is null) and ($3 = 0 or id < $3)
            order by id desc limit $4
            """);
        cmd.Parameters.Add(new() { Value = (object?)handler ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text });
        cmd.Parameters.Add(new() { Value = includeReplayed });
        cmd.Parameters.Add(new() { Value = beforeId });
        cmd.Parameters.Add(new() { Value = Math.Clamp(limit, 1, 1000) });
        var list = new List<DeadLetter>();
        await using var r = await cmd.ExecuteReaderAsync(ct);
        while (await r.ReadAsync(ct)) list.Add(Read(r));
        return list;
    }

    public async Task<DeadLetter?> GetAsync(long id, CancellationToken ct)
    {
        await using var conn = await store.DataSource.OpenConnectionAsync(ct);
        return await GetAsync(conn, null, id, lockRow: false, ct);
    }

    /// <summary>
    /// Re-runs the dead letter's handler on its event now, through the same inbox and retry logic as the live runtime.
    /// Takes the handler's batch lock, so it never interleaves with a batch of the live owner.
    /// </summary>
    public async Task<ReplayResult> ReplayAsync(long id, CancellationToken ct)
    {
        await using var conn = await store.DataSource.OpenConnectionAsync(ct);
        var peek = await GetAsync(conn, null, id, lockRow: false, ct);
        if (peek is null) return new ReplayResult(ReplayOutcome.NotFound, null);
        var registration = handlers.Find(peek.Handler);
        if (registration is null) return new ReplayResult(ReplayOutcome.UnknownHandler, peek);

        await using var tx = await conn.BeginTransactionAsync(ct);
        await using (var l = new NpgsqlCommand($"select pg_advisory_xact_lock({SubscriptionRunner.BatchLockKey(registration.Name)})", conn, tx))
            await l.ExecuteNonQueryAsync(ct);
        var letter = (await GetAsync(conn, tx, id, lockRow: true, ct))!;
        if (letter.ReplayedAt is not null) return new ReplayResult(ReplayOutcome.AlreadyReplayed, letter);

        var e = (await store.ReadByIdsAsync([letter.Position], ct)).Single();
        var method = registration.Methods.Values.FirstOrDefault(m => store.Types.TypeOf(e.Type) == m.EventType);
        if (method is null) return new ReplayResult(ReplayOutcome.UnknownHandler, letter, $"Handler {registration.Name} no longer handles {e.Type}");
        var result = await HandlerInvoker.RunAsync(registration, method, _options, store, conn, tx, e, replay: true, ct);

        await using (var mark = new NpgsqlCommand(result.Outcome == InvokeOutcome.Failed
            ? """
              update handler_dead_letters set replay_attempts = replay_attempts + $2, last_replay_error = $3, last_replay_at = now()
              where id = $1
              """
            : "update handler_dead_letters set replayed_at = now(), replay_attempts = replay_attempts + $2, last_replay_at = now() where id = $1",
            conn, tx))
        {
            mark.Parameters.Add(new() { Value = id });
            mark.Parameters.Add(new() { Value = result.Attempts });
            if (result.Outcome == InvokeOutcome.Failed)
                mark.Parameters.Add(new() { Value = $"{result.Error!.GetType().Name}: {result.Error.Message}" });
            await mark.ExecuteNonQueryAsync(ct);
        }
        await tx.CommitAsync(ct);

        var outcome = result.Outcome switch
        {
            InvokeOutcome.Handled => ReplayOutcome.Replayed,
            InvokeOutcome.Skipped => ReplayOutcome.AlreadyHandled,
            _ => ReplayOutcome.Failed,
        };
        Log.Information("Replayed dead letter {DeadLetter} of {Handler} for {EventId}: {Outcome}", id, letter.Handler, letter.EventId, outcome);
        return new ReplayResult(outcome, await GetAsync(conn, null, id, lockRow: false, ct), result.Error?.Message);
    }

    private static async Task<DeadLetter?> GetAsync(NpgsqlConnection conn, NpgsqlTransaction? tx, long id, bool lockRow, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand($"select {Columns} from handler_dead_letters where id = $1{(lockRow ? " for update" : "")}", conn, tx);
        cmd.Parameters.Add(new() { Value = id });
        await using var r = await cmd.ExecuteReaderAsync(ct);
        return await r.ReadAsync(ct) ? Read(r) : null;
    }

    private static DeadLetter Read(NpgsqlDataReader r) => new(
        r.GetInt64(0), r.GetString(1), r.GetGuid(2), r.GetInt64(3), r.GetString(4), r.GetString(5), r.GetInt32(6),
        r.GetString(7), r.GetString(8), r.IsDBNull(9) ? null : r.GetString(9), Utc(r.GetDateTime(10)),
        r.IsDBNull(11) ? null : Utc(r.GetDateTime(11)), r.GetInt32(12), r.IsDBNull(13) ? null : r.GetString(13),
        r.IsDBNull(14) ? null : Utc(r.GetDateTime(14)));

    private static DateTimeOffset Utc(DateTime t) => new(DateTime.SpecifyKind(t, DateTimeKind.Utc));
}
