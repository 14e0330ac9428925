using Narrative.EventStore.Subscriptions;
using Npgsql;

namespace Narrative.EventStore.Handlers;

/// <summary>
/// A handler's subscription status (state running / catching-up / failing / unowned, position, lag, owner, attempts,
/// last error) plus its dead letters. <see cref="OpenDeadLetters"/> above zero means events were skipped and await a replay.
/// </summary>
public sealed record HandlerStatus(
    string Name, string State, long Position, long Lag, string? Owner, int Attempts, string? LastError, DateTimeOffset? ErrorAt,
    int OpenDeadLetters, int ReplayedDeadLetters, DateTimeOffset? LastDeadLetterAt, string? LastDeadLetterError);

public static class HandlerStatusQuery
{
    /// <summary>
    /// Every handler with a checkpoint, and (given <paramref name="registered"/>) every registered handler that has never
    /// run: those show as unowned with the whole log as lag, so a handler nobody runs is never silent.
    /// </summary>
    public static async Task<IReadOnlyList<HandlerStatus>> ReadAsync(NpgsqlDataSource db, CancellationToken ct, HandlerRegistry? registered = null)
    {
        var subscriptions = (await SubscriptionStatusQuery.ReadAsync(db, ct)).Where(s => s.Kind == "handler").ToDictionary(s => s.Name);
        var letters = new Dictionary<string, (int Open, int Replayed, DateTimeOffset? LastAt, string? LastError)>();
        await using (var cmd = db.CreateCommand("""
            select handler,
                   count(*) filter (where replayed_at is null),
                   count(*) filter (where replayed_at is not null),
                   max(failed_at) filter (where replayed_at is null),
                   (array_agg(error_type || ': ' || error_message order by id desc) filter (where replayed_at is null))[1]
            from handler_dead_letters group by handler
            """))
        await using (var r = await cmd.ExecuteReaderAsync(ct))
            while (await r.ReadAsync(ct))
                letters[r.GetString(0)] = ((int)r.GetInt64(1), (int)r.GetInt64(2),
                    r.IsDBNull(3) ? null : new DateTimeOffset(DateTime.SpecifyKind(r.GetDateTime(3), DateTimeKind.Utc)),
                    r.IsDBNull(4) ? null : r.GetString(4));

        long total = 0;
        if (registered is not null && registered.Handlers.Any(h => !subscriptions.ContainsKey(h.Name)))
        {
            await using var count = db.CreateCommand("select count(*) from events");
            total = (long)(await count.ExecuteScalarAsync(ct))!;
        }

        var names = subscriptions.Keys.Concat(registered?.Handlers.Select(h => h.Name) ?? []).Distinct().Order(StringComparer.Ordinal);
        return names.Select(name =>
        {
            var l = letters.GetValueOrDefault(name);
            return subscriptions.TryGetValue(name, out var s)
                ? new HandlerStatus(name, s.State, s.Position, s.Lag, s.Owner, s.Attempts, s.LastError, s.ErrorAt, l.Open, l.Replayed, l.LastAt, l.LastError)
                : new HandlerStatus(name, "unowned", 0, total, null, 0, null, null, l.Open, l.Replayed, l.LastAt, l.LastError);
        }).ToList();
    }
}
