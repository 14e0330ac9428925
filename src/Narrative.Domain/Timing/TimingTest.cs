using Narrative.Domain.Coincidence;

namespace Narrative.Domain.Timing;

/// <summary>A dated aid decision: the <c>decisionAt</c> of an aid-debate period, or an aid-milestone day.</summary>
public sealed record Milestone(string Id, string Label, DateOnly At);

/// <summary>A signal and the next decision after it (on or before asOf), if any.</summary>
public sealed record TimedSignal(string ItemId, string DocumentId, DateOnly PublishedAt, string? NextMilestone, int? DaysToMilestone);

/// <summary>The test at one window: T of the n signals within W days before a decision, q the chance share of days.</summary>
public sealed record TimingWindow(int Window, int T, double Q, double PValue);

public sealed record TimingResult(
    string Topic, DateTimeOffset AsOf, DateTimeOffset KnownAt, long Position, int Window, int N, int T, double Q, double PValue,
    IReadOnlyList<TimingWindow> Windows, double MinPAdjusted, double Power, string Reading,
    IReadOnlyList<TimedSignal> Signals, IReadOnlyList<Milestone> Milestones);

/// <summary>
/// Do the signals fall just before aid decisions (ISW's timing claim)? The timing test per docs/design.md, "Timing before decisions"
/// (contract): a signal's distance is the days from it forward to the nearest milestone dated on or after it and on or
/// before asOf; T counts signals within W days; q is the share of the days of [period start, min(period end, asOf)]
/// whose own distance is within W; p = P(X ≥ T) for X ~ Binomial(n, q).
/// </summary>
public static class TimingTest
{
    public const string MilestoneCategory = "aid-milestone";
    public const int DefaultWindow = 14;
    public const int MaxWindow = 366;

    /// <summary>The windows always reported, so that a reader sees the answer does not hang on one choice of W.</summary>
    public static IReadOnlyList<int> ReportedWindows { get; } = [7, 14, 30];

    /// <summary>The significance level the power is computed for.</summary>
    public const double Alpha = 0.05;

    /// <summary>Milestones of the periods, ordered by date then id: aid-debate decisions and aid-milestone days.</summary>
    public static IReadOnlyList<Milestone> Milestones(IEnumerable<ContextPeriodRecorded> periods)
    {
        ArgumentNullException.ThrowIfNull(periods);
        return periods
            .Select(p => p switch
            {
                { Category: CoincidenceAnalysis.AidDebateCategory, DecisionAt: { } at } => new Milestone(p.PeriodId, p.Label, at),
                { Category: MilestoneCategory } => new Milestone(p.PeriodId, p.Label, p.Start),
                _ => null,
            })
            .OfType<Milestone>()
            .OrderBy(m => m.At).ThenBy(m => m.Id, StringComparer.Ordinal)
            .ToList();
    }

    /// <summary>The first milestone on or after <paramref name="day"/> (milestones sorted by date), or null.</summary>
    public static Milestone? Next(DateOnly day, IReadOnlyList<Milestone> milestones)
    {
        ArgumentNullException.ThrowIfNull(milestones);
        foreach (var m in milestones)
        {
            if (m.At >= day)
            {
                return m;
            }
        }
        return null;
    }

    /// <summary>Share of the whole days of [start, end] whose next milestone is at most <paramref name="window"/> days ahead; 0 for an empty range.</summary>
    public static double ChanceShare(DateOnly start, DateOnly end, IReadOnlyList<Milestone> milestones, int window)
    {
        var total = end.DayNumber - start.DayNumber + 1;
        if (total <= 0)
        {
            return 0;
        }
        var within = 0;
        for (var d = start; d <= end; d = d.AddDays(1))
        {
            if (Next(d, milestones) is { } m && m.At.DayNumber - d.DayNumber <= window)
            {
                within++;
            }
        }
        return (double)within / total;
    }

    /// <summary>
    /// The chance that the test gives p &lt; <see cref="Alpha"/> when each signal falls within the window with
    /// probability min(1, 2q): twice as often as chance. 0 when no T of n can reach p &lt; Alpha.
    /// </summary>
    public static double Power(int n, double q)
    {
        if (SmallestSignificantT(n, q) is not { } t)
        {
            return 0;
        }
        return CoincidenceAnalysis.BinomialUpperTail(n, t, Math.Min(1, 2 * q));
    }

    /// <summary>The smallest T whose p-value under Binomial(n, q) is below <see cref="Alpha"/>, or null.</summary>
    public static int? SmallestSignificantT(int n, double q)
    {
        for (var t = 1; t <= n; t++)
        {
            if (CoincidenceAnalysis.BinomialUpperTail(n, t, q) < Alpha)
            {
                return t;
            }
        }
        return null;
    }

    /// <summary>
    /// <paramref name="independentSignals"/> are the coincidence view's candidates (non-derivative, non-retracted
    /// signals of the topic); this keeps those published in [periodStart, min(periodEnd, asOf)], as the coincidence
    /// view does.
    /// </summary>
    public static TimingResult Compute(
        string topic, DateOnly periodStart, DateOnly periodEnd, DateTimeOffset asOf, DateOnly asOfDate,
        IEnumerable<SignalCandidate> independentSignals, IEnumerable<ContextPeriodRecorded> contextPeriods, int window,
        DateTimeOffset knownAt = default, long position = 0)
    {
        ArgumentNullException.ThrowIfNull(independentSignals);
        ArgumentOutOfRangeException.ThrowIfNegative(window);
        var milestones = Milestones(contextPeriods).Where(m => m.At <= asOfDate).ToList();
        var end = periodEnd < asOfDate ? periodEnd : asOfDate;
        var signals = independentSignals
            .Where(s => s.PublishedAt >= periodStart && s.PublishedAt <= end)
            .OrderBy(s => s.PublishedAt).ThenBy(s => s.ItemId, StringComparer.Ordinal)
            .Select(s => Next(s.PublishedAt, milestones) is { } m
                ? new TimedSignal(s.ItemId, s.DocumentId, s.PublishedAt, m.Id, m.At.DayNumber - s.PublishedAt.DayNumber)
                : new TimedSignal(s.ItemId, s.DocumentId, s.PublishedAt, null, null))
            .ToList();

        TimingWindow At(int w)
        {
            var t = signals.Count(s => s.DaysToMilestone <= w);
            var q = ChanceShare(periodStart, end, milestones, w);
            return new TimingWindow(w, t, q, CoincidenceAnalysis.BinomialUpperTail(signals.Count, t, q));
        }

        var headline = At(window);
        var windows = ReportedWindows.Select(At).ToList();
        var minPAdjusted = Math.Min(1, ReportedWindows.Count * windows.Min(w => w.PValue));
        var power = Power(signals.Count, headline.Q);
        return new TimingResult(topic, asOf, knownAt, position, window, signals.Count, headline.T, headline.Q, headline.PValue,
            windows, minPAdjusted, power, Reading(signals.Count, milestones.Count, headline, power), signals, milestones);
    }

    /// <summary>One plain sentence on what the test shows and what it cannot.</summary>
    public static string Reading(int n, int milestones, TimingWindow w, double power)
    {
        ArgumentNullException.ThrowIfNull(w);
        if (n == 0)
        {
            return "There are no independent signals yet, so the timing test has nothing to measure.";
        }
        if (milestones == 0)
        {
            return "No aid decision is recorded on or before this date, so there is nothing to time the signals against.";
        }
        if (SmallestSignificantT(n, w.Q) is null)
        {
            return FormattableString.Invariant(
                $"With only {n} independent signal{(n == 1 ? "" : "s")} and {w.Q * 100:0}% of days within {w.Window} days of a decision, ") +
                FormattableString.Invariant(
                $"even every signal falling just before a decision would give p = {Math.Pow(w.Q, n):0.00}: this test cannot show timing on this evidence.");
        }
        var verdict = w.PValue < Alpha ? "more than chance explains" : "no more than chance explains";
        var caveat = power < 0.8
            ? FormattableString.Invariant($" If signals really came twice as often as chance before decisions, this test would detect it only with probability {power:0.00}, so a null result says little.")
            : FormattableString.Invariant($" Its power against signals twice as frequent as chance is {power:0.00}.");
        return FormattableString.Invariant($"{w.T} of {n} independent signals fell within {w.Window} days before a decision, against {n * w.Q:0.0} expected by chance ") +
            FormattableString.Invariant($"(p = {w.PValue:0.00}): {verdict}.{caveat}");
    }
}
