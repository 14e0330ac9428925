using Narrative.Domain.Replay;
using Narrative.EventStore;
using Narrative.EventStore.Handlers;
using Npgsql;

namespace Narrative.Analysis.Reactions;

/// <summary>An event read back by a reaction, deserialised.</summary>
internal sealed record LoggedEvent(long Position, long TxId, string Stream, Guid EventId, DateTimeOffset RecordedAt, object Data)
{
    public RecordedEvent ToRecorded() => new(Position, Stream, Data, RecordedAt);
}

/// <summary>
/// The reactions' only source of facts: the <c>events</c> table, read inside the handler's transaction and bounded by the
/// triggering event's place in the global order, <c>(tx_id, position) &lt;= trigger</c>. Everything below that cursor
/// has committed (handlers only see events below the snapshot horizon), so a redelivery, a retry or a dead-letter replay
/// months later sees exactly the same facts and decides the same thing. Nothing depends on the async read model.
/// </summary>
internal static class ReactionLog
{
    private const string Columns = "position, tx_id, stream_id, stream_version, event_id, type, data::text, metadata::text, occurred_at, recorded_at, hash";

    /// <summary>
    /// Events matching <paramref name="filter"/> (SQL over alias <c>e</c>; <c>$1</c>, <c>$2</c> are the trigger's tx id and
    /// position, <paramref name="args"/> bind from <c>$3</c>), in global order.
    /// </summary>
    public static async Task<IReadOnlyList<LoggedEvent>> ReadAsync(HandlerContext ctx, string filter, IReadOnlyList<object> args, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand($"""
            select {Columns} from events e
            where (e.tx_id, e.position) <= ($1, $2) and ({filter})
            order by e.tx_id, e.position
            """, ctx.Connection, ctx.Transaction);
        cmd.Parameters.Add(new() { Value = ctx.Event.TxId });
        cmd.Parameters.Add(new() { Value = ctx.Event.Position });
        foreach (var a in args) cmd.Parameters.Add(new() { Value = a });
        var list = new List<LoggedEvent>();
        await using var r = await cmd.ExecuteReaderAsync(ct);
        while (await r.ReadAsync(ct))
        {
            var stored = new StoredEvent(r.GetInt64(0), r.GetInt64(1), r.GetString(2), r.GetInt32(3), r.GetGuid(4), r.GetString(5),
                r.GetString(6), r.GetString(7), r.GetFieldValue<DateTimeOffset>(8), r.GetFieldValue<DateTimeOffset>(9), (byte[])r[10]);
            if (ctx.Store.Types.Deserialize(stored) is { } data)
                list.Add(new LoggedEvent(stored.Position, stored.TxId, stored.StreamId, stored.EventId, stored.RecordedAt, data));
        }
        return list;
    }

    /// <summary>SQL (alias <c>e</c>): the ItemRecorded row's item has no ItemRetracted at or before the trigger. The retracted type name is bound at <c>$typeParameter</c>.</summary>
    public static string NotRetracted(int typeParameter) => $"""
        not exists (select 1 from events x
                    where x.type = ${typeParameter} and x.data->>'itemId' = e.data->>'itemId' and (x.tx_id, x.position) <= ($1, $2))
        """;

    public static string TypeName<T>(HandlerContext ctx) => ctx.Store.Types.NameOf(typeof(T));

    /// <summary>
    /// Appends to a stream that several reactions write (the topic stream). The advisory lock, held to the end of the
    /// batch transaction, makes concurrent reactions queue rather than collide on the next stream version and retry.
    /// </summary>
    public static async Task AppendAsync(HandlerContext ctx, string stream, IReadOnlyList<object> events, CancellationToken ct)
    {
        if (events.Count == 0) return;
        await using (var lk = new NpgsqlCommand("select pg_advisory_xact_lock(hashtextextended($1, 11))", ctx.Connection, ctx.Transaction))
        {
            lk.Parameters.Add(new() { Value = stream });
            await lk.ExecuteNonQueryAsync(ct);
        }
        await ctx.AppendAsync(stream, ExpectedVersion.Any, events, ct);
    }
}
