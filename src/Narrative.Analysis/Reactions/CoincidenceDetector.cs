using Narrative.Domain;
using Narrative.Domain.Coincidence;
using JasperFx.Events;
using Narrative.Storage;

namespace Narrative.Analysis.Reactions;

/// <summary>
/// A new <c>signal</c> published inside an aid-debate context period (start ≤ publishedAt ≤ end) gets a
/// <see cref="CoincidenceFlagged"/> on its topic stream, naming every containing period and the days to the first
/// containing period's decision (periods ordered by start, then id), by the same rule as the coincidence query.
/// Periods are those held when the signal was recorded (latest version of each); a period registered later does not
/// flag signals already held. Derivative re-reports are flagged too: this marks the item, the coincidence statistic
/// still counts independent signals only.
/// </summary>
public static class CoincidenceDetector
{
    public const string Name = "reaction.coincidence";

    public static Task Handle(IEvent<ItemRecorded> e, EventLog log, TimeProvider clock, CancellationToken ct) =>
        ReactAsync(e.Data, new ReactionContext(Name, e, log, clock), ct);

    public static async Task ReactAsync(ItemRecorded item, ReactionContext ctx, CancellationToken ct)
    {
        if (item.Type != "signal") return;

        var periods = (await ReactionLog.ReadAsync(ctx, "e.type = $3", [ReactionLog.TypeName<ContextPeriodRecorded>(ctx)], ct))
            .Select(e => (ContextPeriodRecorded)e.Data)
            .GroupBy(p => p.PeriodId, StringComparer.Ordinal)
            .Select(g => g.Last());
        var day = item.PublishedAt;
        var result = CoincidenceAnalysis.Compute(item.Topic, day, day, ctx.Now, day,
            [new SignalCandidate(item.ItemId, item.DocumentId, day)], periods);
        var signal = result.Signals.Single();
        if (!signal.Inside) return;

        await ReactionLog.AppendAsync(ctx, NarrativeEventTypes.TopicStream(item.Topic),
            [new CoincidenceFlagged(item.Topic, item.ItemId, item.DocumentId, day, signal.Periods, signal.DaysToDecision)], ct);
    }
}
