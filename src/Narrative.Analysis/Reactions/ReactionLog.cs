using System.Security.Cryptography;
using System.Text;
using JasperFx.Events;
using Narrative.Domain.Replay;
using Narrative.Storage;
using NpgsqlTypes;

namespace Narrative.Analysis.Reactions;

/// <summary>An event read back by a reaction, deserialised.</summary>
internal sealed record LoggedEvent(long Position, string Stream, Guid EventId, DateTimeOffset RecordedAt, object Data)
{
    public RecordedEvent ToRecorded() => new(Position, Stream, Data, RecordedAt);
}

/// <summary>
/// What a reaction knows about the event it handles: the Marten event (position, stream, timestamp, ids), the log,
/// and the clock. Events it appends carry the trigger's id as causation and its correlation id (or, when it has none,
/// its id: it starts the conversation).
/// </summary>
public sealed class ReactionContext(string handler, IEvent trigger, EventLog log, TimeProvider clock)
{
    private int _generated;

    public string Handler { get; } = handler;
    public IEvent Event { get; } = trigger;
    public EventLog Log { get; } = log;
    public DateTimeOffset Now => clock.GetUtcNow();
    public string CorrelationId => Event.CorrelationId ?? Event.Id.ToString();
    public string CausationId => Event.Id.ToString();

    /// <summary>
    /// An event id derived from (handler, triggering event, n-th id asked for): a retried or redelivered message appends
    /// the same ids, which the log treats as an idempotent replay.
    /// </summary>
    public Guid NewEventId()
    {
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes($"narrative.handler:{Handler}:{Event.Id:N}:{_generated++}"));
        hash[6] = (byte)((hash[6] & 0x0F) | 0x80); // version 8 (custom)
        hash[8] = (byte)((hash[8] & 0x3F) | 0x80); // RFC 4122 variant
        return new Guid(hash.AsSpan(0, 16), bigEndian: true);
    }
}

/// <summary>
/// The reactions' only source of facts: Marten's <c>mt_events</c>, bounded by the triggering event's position. Marten's
/// daemon only relays an event once every position below it has committed or rolled back, so a redelivery, a retry or a
/// dead-letter replay months later sees exactly the same facts and decides the same thing. Nothing depends on the
/// async read model.
/// </summary>
internal static class ReactionLog
{
    private const string Columns = "seq_id, stream_id, id, type, data::text, timestamp";

    /// <summary>
    /// Events matching <paramref name="filter"/> (SQL over alias <c>e</c>; <c>$1</c> is the trigger's position, <c>$2</c>
    /// its stream, <paramref name="args"/> bind from <c>$3</c>), in position order.
    /// </summary>
    public static async Task<IReadOnlyList<LoggedEvent>> ReadAsync(ReactionContext ctx, string filter, IReadOnlyList<object> args, CancellationToken ct)
    {
        await using var cmd = ctx.Log.DataSource.CreateCommand($"""
            select {Columns} from {EventStoreSetup.Schema}.mt_events e
            where e.seq_id <= $1 and ({filter})
            order by e.seq_id
            """);
        cmd.Parameters.Add(new() { Value = ctx.Event.Sequence });
        cmd.Parameters.Add(new() { Value = ctx.Event.StreamKey ?? "", NpgsqlDbType = NpgsqlDbType.Text });
        foreach (var a in args) cmd.Parameters.Add(new() { Value = a });
        var list = new List<LoggedEvent>();
        await using var r = await cmd.ExecuteReaderAsync(ct);
        while (await r.ReadAsync(ct))
        {
            if (ctx.Log.Deserialize(r.GetString(3), r.GetString(4)) is { } data)
                list.Add(new LoggedEvent(r.GetInt64(0), r.GetString(1), r.GetGuid(2), r.GetFieldValue<DateTimeOffset>(5), data));
        }
        return list;
    }

    /// <summary>SQL (alias <c>e</c>): the ItemRecorded row's item has no ItemRetracted at or before the trigger. The retracted type name is bound at <c>$typeParameter</c>.</summary>
    public static string NotRetracted(int typeParameter) => $"""
        not exists (select 1 from {EventStoreSetup.Schema}.mt_events x
                    where x.type = ${typeParameter} and x.data->>'itemId' = e.data->>'itemId' and x.seq_id <= $1)
        """;

    public static string TypeName<T>(ReactionContext ctx) => ctx.Log.TypeName(typeof(T));

    /// <summary>
    /// Appends to a stream that several reactions write (the topic stream). The log's per-stream lock makes concurrent
    /// reactions queue rather than collide on the next stream version.
    /// </summary>
    public static async Task AppendAsync(ReactionContext ctx, string stream, IReadOnlyList<object> events, CancellationToken ct)
    {
        if (events.Count == 0) return;
        var meta = new EventMetadata { CausationId = ctx.CausationId, CorrelationId = ctx.CorrelationId, Actor = $"handler:{ctx.Handler}" };
        await ctx.Log.AppendAsync(stream, ExpectedVersion.Any, [.. events.Select(e => new EventData(ctx.NewEventId(), e, meta))], ct);
    }
}
