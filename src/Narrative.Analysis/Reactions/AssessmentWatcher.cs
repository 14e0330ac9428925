using Narrative.Domain;
using Narrative.Domain.Replay;
using Narrative.EventStore.Handlers;
using Npgsql;

namespace Narrative.Analysis.Reactions;

/// <summary>
/// Watches the leading hypothesis of each topic as of the present date and, when new evidence or a correction changes
/// it, records <see cref="LeadingHypothesisShifted"/> on the topic stream and publishes an <c>alert</c>.
/// <para>
/// Source of truth: the log itself, never the async read model. The watcher reads the topic's TopicOpened, its
/// ItemRecorded / ItemRerated / ItemRetracted and the sources, all at or before the trigger in the global order, and
/// scores them with <see cref="WorldQueries.Assess"/> (the same code the audit path uses) twice: without the trigger's
/// transaction (the leader before) and with it (the leader after). So it keeps no state table, and a retry, redelivery or
/// dead-letter replay decides exactly as the first run did.
/// </para>
/// <para>
/// One decision per (transaction, topic): a document or a correction is one transaction, and only its last event of the
/// topic triggers the evaluation (the earlier ones return at once). A document thus never causes a shift and a shift
/// back inside itself, and each change gives exactly one event and alert; <c>Causes</c> lists the topic's items the
/// transaction recorded, re-rated or retracted.
/// </para>
/// <para>
/// The first evidence on a topic (no leader before) records a shift from null, so the topic stream holds the whole
/// history of leaders, but raises no alert: nothing an analyst relied on changed. If every item is retracted the
/// leader becomes unknown; that records nothing (the event needs a new leader).
/// </para>
/// </summary>
public sealed class AssessmentWatcher
{
    public const string AlertKind = "leading-hypothesis-shifted";

    public Task Handle(ItemRecorded e, HandlerContext ctx, CancellationToken ct) => WatchAsync(e.Topic, ctx, ct);

    public Task Handle(ItemRerated e, HandlerContext ctx, CancellationToken ct) => WatchAsync(e.Topic, ctx, ct);

    public Task Handle(ItemRetracted e, HandlerContext ctx, CancellationToken ct) => WatchAsync(e.Topic, ctx, ct);

    private static async Task WatchAsync(string topic, HandlerContext ctx, CancellationToken ct)
    {
        string[] itemTypes = [ReactionLog.TypeName<ItemRecorded>(ctx), ReactionLog.TypeName<ItemRerated>(ctx), ReactionLog.TypeName<ItemRetracted>(ctx)];
        if (await LaterInTransactionAsync(ctx, itemTypes, topic, ct)) return;

        var events = await ReactionLog.ReadAsync(ctx,
            "(e.type = any($3) and e.data->>'topic' = $4) or (e.type = $5 and e.stream_id = $6) or e.type = $7",
            [itemTypes, topic, ReactionLog.TypeName<TopicOpened>(ctx), NarrativeEventTypes.TopicStream(topic), ReactionLog.TypeName<SourceRegistered>(ctx)], ct);
        var before = Leader(events.Where(e => e.TxId < ctx.Event.TxId), topic, ctx.Now);
        var after = Leader(events, topic, ctx.Now);
        if (after is null || before?.Id == after.Id) return;

        var causes = events
            .Where(e => e.TxId == ctx.Event.TxId)
            .Select(e => e.Data switch { ItemRecorded i => i.ItemId, ItemRerated r => r.ItemId, ItemRetracted x => x.ItemId, _ => null })
            .OfType<string>()
            .Distinct(StringComparer.Ordinal)
            .ToList();
        var asOf = WorldQueries.WorldDate(ctx.Now);
        await ReactionLog.AppendAsync(ctx, NarrativeEventTypes.TopicStream(topic),
            [new LeadingHypothesisShifted(topic, before?.Id, after.Id, asOf, causes)], ct);
        if (before is null) return;

        await ctx.PublishAsync("alert", new
        {
            kind = AlertKind,
            topic,
            from = before.Id,
            to = after.Id,
            fromLabel = before.Label,
            toLabel = after.Label,
            asOf,
            causes,
            scores = after.Scores,
            causationId = ctx.CausationId,
        }, ct);
    }

    private sealed record Leading(string Id, string Label, IReadOnlyDictionary<string, double> Scores);

    /// <summary>The leader as of <paramref name="now"/> over these events; null when the topic has no visible evidence.</summary>
    private static Leading? Leader(IEnumerable<LoggedEvent> events, string topic, DateTimeOffset now)
    {
        var world = NarrativeWorld.From(events.Select(e => e.ToRecorded()));
        var result = WorldQueries.Assess(world, topic, now, DateTimeOffset.MaxValue);
        if (result is null || result.Evidence.Count == 0) return null;
        var leading = result.Hypotheses.First(h => h.Id == result.Leading);
        return new Leading(leading.Id, leading.Label, result.Hypotheses.ToDictionary(h => h.Id, h => h.WeightedInconsistency, StringComparer.Ordinal));
    }

    private static async Task<bool> LaterInTransactionAsync(HandlerContext ctx, string[] itemTypes, string topic, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand("""
            select exists (select 1 from events where tx_id = $1 and position > $2 and type = any($3) and data->>'topic' = $4)
            """, ctx.Connection, ctx.Transaction);
        cmd.Parameters.Add(new() { Value = ctx.Event.TxId });
        cmd.Parameters.Add(new() { Value = ctx.Event.Position });
        cmd.Parameters.Add(new() { Value = itemTypes });
        cmd.Parameters.Add(new() { Value = topic });
        return (bool)(await cmd.ExecuteScalarAsync(ct))!;
    }
}
