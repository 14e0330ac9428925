using Narrative.Domain;
using Narrative.Domain.Replay;
using JasperFx.Events;
using Narrative.Storage;

using Narrative.Analysis.Alerts;

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
public static class AssessmentWatcher
{
    public const string AlertKind = "leading-hypothesis-shifted";

    public const string Name = "reaction.assessment-watch";

    public static Task<Alert?> Handle(IEvent<ItemRecorded> e, EventLog log, TimeProvider clock, CancellationToken ct) =>
        WatchAsync(e.Data.Topic, new ReactionContext(Name, e, log, clock), ct);

    public static Task<Alert?> Handle(IEvent<ItemRerated> e, EventLog log, TimeProvider clock, CancellationToken ct) =>
        WatchAsync(e.Data.Topic, new ReactionContext(Name, e, log, clock), ct);

    public static Task<Alert?> Handle(IEvent<ItemRetracted> e, EventLog log, TimeProvider clock, CancellationToken ct) =>
        WatchAsync(e.Data.Topic, new ReactionContext(Name, e, log, clock), ct);

    /// <summary>Records a shift of the leader and returns the alert to publish (through Wolverine's outbox), if any.</summary>
    public static async Task<Alert?> WatchAsync(string topic, ReactionContext ctx, CancellationToken ct)
    {
        string[] itemTypes = [ReactionLog.TypeName<ItemRecorded>(ctx), ReactionLog.TypeName<ItemRerated>(ctx), ReactionLog.TypeName<ItemRetracted>(ctx)];
        if (await LaterInAppendAsync(ctx, itemTypes, topic, ct)) return null;

        var events = await ReactionLog.ReadAsync(ctx,
            "(e.type = any($3) and e.data->>'topic' = $4) or (e.type = any($5) and e.stream_id = $6) or e.type = any($7)",
            [itemTypes, topic, new[] { ReactionLog.TypeName<TopicOpened>(ctx), ReactionLog.TypeName<HypothesesRevised>(ctx) },
                NarrativeEventTypes.TopicStream(topic), new[] { ReactionLog.TypeName<SourceRegistered>(ctx), ReactionLog.TypeName<SourceRegraded>(ctx) }], ct);
        var before = Leader(events.Where(e => !SameAppend(ctx, e)), topic, ctx.Now);
        var after = Leader(events, topic, ctx.Now);
        if (after is null || before?.Id == after.Id) return null;

        var causes = events
            .Where(e => SameAppend(ctx, e))
            .Select(e => e.Data switch { ItemRecorded i => i.ItemId, ItemRerated r => r.ItemId, ItemRetracted x => x.ItemId, _ => null })
            .OfType<string>()
            .Distinct(StringComparer.Ordinal)
            .ToList();
        var asOf = WorldQueries.WorldDate(ctx.Now);
        await ReactionLog.AppendAsync(ctx, NarrativeEventTypes.TopicStream(topic),
            [new LeadingHypothesisShifted(topic, before?.Id, after.Id, asOf, causes)], ct);
        if (before is null) return null;

        return new Alert(AlertKind, topic, before.Id, after.Id, before.Label, after.Label, asOf, causes, after.Scores, ctx.CausationId,
            $"The leading hypothesis on {topic} moved from {before.Label} to {after.Label}.");
    }

    private sealed record Leading(string Id, string Label, IReadOnlyDictionary<string, double> Scores);

    /// <summary>The leader as of <paramref name="now"/> over these events; null when the topic has no visible evidence.</summary>
    private static Leading? Leader(IEnumerable<LoggedEvent> events, string topic, DateTimeOffset now)
    {
        var world = NarrativeWorld.From(events.Select(e => e.ToRecorded()));
        var result = WorldQueries.Assess(world, topic, now, DateTimeOffset.MaxValue);
        if (result?.Leading is null) return null;
        var leading = result.Hypotheses.First(h => h.Id == result.Leading);
        return new Leading(leading.Id, leading.Label, result.Hypotheses.ToDictionary(h => h.Id, h => h.WeightedInconsistency, StringComparer.Ordinal));
    }

    /// <summary>
    /// One append (a document, a correction) is one transaction; Marten stamps all its events with the same server
    /// timestamp, in one stream. Events of the trigger's append are those of its stream with its timestamp.
    /// </summary>
    private static bool SameAppend(ReactionContext ctx, LoggedEvent e) => e.Stream == ctx.Event.StreamKey && e.RecordedAt == ctx.Event.Timestamp;

    private static async Task<bool> LaterInAppendAsync(ReactionContext ctx, string[] itemTypes, string topic, CancellationToken ct)
    {
        await using var cmd = ctx.Log.DataSource.CreateCommand($"""
            select exists (select 1 from {EventStoreSetup.Schema}.mt_events
                           where stream_id = $1 and timestamp = $2 and seq_id > $3 and type = any($4) and data->>'topic' = $5)
            """);
        cmd.Parameters.Add(new() { Value = ctx.Event.StreamKey ?? "" });
        cmd.Parameters.Add(new() { Value = ctx.Event.Timestamp });
        cmd.Parameters.Add(new() { Value = ctx.Event.Sequence });
        cmd.Parameters.Add(new() { Value = itemTypes });
        cmd.Parameters.Add(new() { Value = topic });
        return (bool)(await cmd.ExecuteScalarAsync(ct))!;
    }
}
