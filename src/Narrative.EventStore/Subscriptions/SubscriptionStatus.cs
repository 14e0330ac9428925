using Npgsql;

namespace Narrative.EventStore.Subscriptions;

public sealed record SubscriptionStatus(
    string Name, string Kind, string State, long Position, string Cursor, long Lag, string? Owner, DateTimeOffset? UpdatedAt,
    int Attempts, string? LastError, DateTimeOffset? ErrorAt, double? RebuildProgress);

public static class SubscriptionStatusQuery
{
    /// <summary>
    /// Position, lag (events not yet processed), owner, and state: running (an owner holds the lock), failing
    /// (owner retrying an error), unowned (nobody holds it: no daemon, or the owner died) or rebuilding.
    /// </summary>
    public static async Task<IReadOnlyList<SubscriptionStatus>> ReadAsync(NpgsqlDataSource db, CancellationToken ct)
    {
        var list = new List<SubscriptionStatus>();
        await using var conn = await db.OpenConnectionAsync(ct);
        await using var q = new NpgsqlCommand("""
            select c.name, c.kind, c.position, c.tx_id,
                   (select count(*) from events e where (e.tx_id, e.position) > (c.tx_id, c.position)),
                   c.owner, c.updated_at, c.attempts, c.last_error, c.error_at, c.rebuild_progress
            from checkpoints c order by c.kind, c.name
            """, conn);
        var raw = new List<(string Name, string Kind, long Pos, long Tx, long Lag, string? Owner, DateTime? Updated, int Attempts, string? Error, DateTime? ErrorAt, double? Rebuild)>();
        await using (var r = await q.ExecuteReaderAsync(ct))
            while (await r.ReadAsync(ct))
                raw.Add((r.GetString(0), r.GetString(1), r.GetInt64(2), r.GetInt64(3), r.GetInt64(4),
                    r.IsDBNull(5) ? null : r.GetString(5), r.IsDBNull(6) ? null : r.GetDateTime(6), r.GetInt32(7),
                    r.IsDBNull(8) ? null : r.GetString(8), r.IsDBNull(9) ? null : r.GetDateTime(9), r.IsDBNull(10) ? null : r.GetDouble(10)));

        var held = new HashSet<long>();
        await using (var locks = new NpgsqlCommand("""
            select (l.classid::bigint << 32) | l.objid::bigint from pg_locks l
            where l.locktype = 'advisory' and l.granted and l.objsubid = 1
              and l.database = (select oid from pg_database where datname = current_database())
            """, conn))
        await using (var r = await locks.ExecuteReaderAsync(ct))
            while (await r.ReadAsync(ct)) held.Add(r.GetInt64(0));

        foreach (var x in raw)
        {
            var owned = held.Contains(SubscriptionRunner.LockKey(x.Name));
            var state = x.Rebuild is not null ? "rebuilding" : !owned ? "unowned" : x.Error is not null ? "failing" : x.Lag > 0 ? "catching-up" : "running";
            list.Add(new SubscriptionStatus(x.Name, x.Kind, state, x.Pos, new GlobalCursor(x.Tx, x.Pos).ToString(), x.Lag,
                owned ? x.Owner : null, Utc(x.Updated), x.Attempts, x.Error, Utc(x.ErrorAt), x.Rebuild));
        }
        return list;
    }

    private static DateTimeOffset? Utc(DateTime? t) => t is null ? null : new DateTimeOffset(DateTime.SpecifyKind(t.Value, DateTimeKind.Utc));
}
