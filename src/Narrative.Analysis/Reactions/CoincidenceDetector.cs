using Narrative.Domain;
using Narrative.Domain.Coincidence;
using JasperFx.Events;
using Narrative.Storage;
using Narrative.Analysis.Alerts;
using Narrative.Domain.Replay;
using Narrative.Domain.Timing;

namespace Narrative.Analysis.Reactions;

/// <summary>
/// A new <c>signal</c> published inside an aid-debate context period (start ≤ publishedAt ≤ end) gets a
/// <see cref="CoincidenceFlagged"/> on its topic stream, naming every containing period and the days to the first
/// containing period's decision (periods ordered by start, then id), by the same rule as the coincidence query.
/// A signal published at most <see cref="TimingTest.DefaultWindow"/> days before a known aid decision (an aid-debate's
/// decisionAt or an aid-milestone, by the timing test's rule) is flagged too, with that decision, and raises an alert
/// saying how many days before which decision. Decisions recorded ahead of time count: an analyst wants to hear that a
/// signal came a week before a scheduled vote.
/// Periods are those held when the signal was recorded (latest version of each); a period registered later does not
/// flag signals already held. Derivative re-reports are flagged too: this marks the item, the coincidence and timing
/// statistics still count independent signals only.
/// </summary>
public static class CoincidenceDetector
{
    public const string Name = "reaction.coincidence";

    public const string TimingAlertKind = "signal-before-decision";

    public static Task<Alert?> Handle(IEvent<ItemRecorded> e, EventLog log, TimeProvider clock, CancellationToken ct) =>
        ReactAsync(e.Data, new ReactionContext(Name, e, log, clock), ct);

    public static async Task<Alert?> ReactAsync(ItemRecorded item, ReactionContext ctx, CancellationToken ct)
    {
        if (item.Type != "signal") return null;

        var periods = (await ReactionLog.ReadAsync(ctx, "e.type = $3", [ReactionLog.TypeName<ContextPeriodRecorded>(ctx)], ct))
            .Select(e => (ContextPeriodRecorded)e.Data)
            .GroupBy(p => p.PeriodId, StringComparer.Ordinal)
            .Select(g => g.Last())
            .ToList();
        var day = item.PublishedAt;
        var result = CoincidenceAnalysis.Compute(item.Topic, day, day, ctx.Now, day,
            [new SignalCandidate(item.ItemId, item.DocumentId, day)], periods);
        var signal = result.Signals.Single();
        var next = TimingTest.Next(day, TimingTest.Milestones(periods)) is { } m && m.At.DayNumber - day.DayNumber <= TimingTest.DefaultWindow ? m : null;
        if (!signal.Inside && next is null) return null;

        var daysBefore = next is null ? (int?)null : next.At.DayNumber - day.DayNumber;
        await ReactionLog.AppendAsync(ctx, NarrativeEventTypes.TopicStream(item.Topic),
            [new CoincidenceFlagged(item.Topic, item.ItemId, item.DocumentId, day, signal.Periods, signal.DaysToDecision, next?.Id, daysBefore)], ct);
        if (next is null) return null;

        var timing = new SignalTiming(item.ItemId, day, next.Id, next.Label, next.At, daysBefore!.Value);
        return new Alert(TimingAlertKind, item.Topic, null, null, null, null, WorldQueries.WorldDate(ctx.Now), [item.ItemId],
            new Dictionary<string, double>(), ctx.CausationId,
            $"Signal {item.ItemId} ({day:yyyy-MM-dd}) came {timing.DaysBefore} day{(timing.DaysBefore == 1 ? "" : "s")} before {next.Label} ({next.At:yyyy-MM-dd}).",
            timing);
    }
}
