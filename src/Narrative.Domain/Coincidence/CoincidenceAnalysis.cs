namespace Narrative.Domain.Coincidence;

public sealed record SignalCandidate(string ItemId, string DocumentId, DateOnly PublishedAt);

public sealed record CoincidentSignal(string ItemId, string DocumentId, DateOnly PublishedAt, bool Inside, IReadOnlyList<string> Periods, int? DaysToDecision);

public sealed record CoincidenceResult(
    string Topic, DateTimeOffset AsOf, DateTimeOffset KnownAt, long Position, int N, int K, double Coverage, double? Lift,
    double PValue, IReadOnlyList<CoincidentSignal> Signals);

/// <summary>Signal / aid-debate coincidence per docs/design.md, "Coincidence with aid debates" (contract).</summary>
public static class CoincidenceAnalysis
{
    public const string AidDebateCategory = "aid-debate";

    /// <summary>
    /// <paramref name="independentSignals"/> are the non-derivative, non-retracted signal items of the topic; this
    /// keeps those published in [periodStart, periodEnd] and ≤ asOf. Windows are the context periods of category
    /// aid-debate. Lift is null when n = 0 or coverage = 0.
    /// </summary>
    public static CoincidenceResult Compute(
        string topic, DateOnly periodStart, DateOnly periodEnd, DateTimeOffset asOf, DateOnly asOfDate,
        IEnumerable<SignalCandidate> independentSignals, IEnumerable<ContextPeriodRecorded> contextPeriods,
        DateTimeOffset knownAt = default, long position = 0)
    {
        ArgumentNullException.ThrowIfNull(independentSignals);
        ArgumentNullException.ThrowIfNull(contextPeriods);
        var windows = contextPeriods
            .Where(p => p.Category == AidDebateCategory)
            .OrderBy(p => p.Start).ThenBy(p => p.PeriodId, StringComparer.Ordinal)
            .ToList();
        var end = periodEnd < asOfDate ? periodEnd : asOfDate;
        var signals = independentSignals
            .Where(s => s.PublishedAt >= periodStart && s.PublishedAt <= end)
            .OrderBy(s => s.PublishedAt).ThenBy(s => s.ItemId, StringComparer.Ordinal)
            .Select(s =>
            {
                var containing = windows.Where(w => w.Start <= s.PublishedAt && s.PublishedAt <= w.End).ToList();
                int? days = containing.Count > 0 && containing[0].DecisionAt is { } decision
                    ? decision.DayNumber - s.PublishedAt.DayNumber
                    : null;
                return new CoincidentSignal(s.ItemId, s.DocumentId, s.PublishedAt, containing.Count > 0, [.. containing.Select(w => w.PeriodId)], days);
            })
            .ToList();
        var n = signals.Count;
        var k = signals.Count(s => s.Inside);
        var coverage = Coverage(periodStart, end, windows.Select(w => (w.Start, w.End)));
        double? lift = n == 0 || coverage == 0 ? null : ((double)k / n) / coverage;
        return new CoincidenceResult(topic, asOf, knownAt, position, n, k, coverage, lift, BinomialUpperTail(n, k, coverage), signals);
    }

    /// <summary>Share of the whole days of [start, end] (inclusive) inside the union of the windows; 0 for an empty range.</summary>
    public static double Coverage(DateOnly start, DateOnly end, IEnumerable<(DateOnly Start, DateOnly End)> windows)
    {
        ArgumentNullException.ThrowIfNull(windows);
        var total = end.DayNumber - start.DayNumber + 1;
        if (total <= 0)
        {
            return 0;
        }
        var covered = new HashSet<int>();
        foreach (var (ws, we) in windows)
        {
            for (var d = Math.Max(ws.DayNumber, start.DayNumber); d <= Math.Min(we.DayNumber, end.DayNumber); d++)
            {
                covered.Add(d);
            }
        }
        return (double)covered.Count / total;
    }

    /// <summary>P(X ≥ k) for X ~ Binomial(n, p), summed exactly term by term in log space.</summary>
    public static double BinomialUpperTail(int n, int k, double p)
    {
        if (k <= 0)
        {
            return 1;
        }
        if (k > n || p <= 0)
        {
            return 0;
        }
        if (p >= 1)
        {
            return 1;
        }
        double sum = 0;
        for (var i = k; i <= n; i++)
        {
            sum += Math.Exp(LogChoose(n, i) + (i * Math.Log(p)) + ((n - i) * Math.Log(1 - p)));
        }
        return Math.Min(1, sum);
    }

    private static double LogChoose(int n, int k)
    {
        double result = 0;
        for (var i = 1; i <= k; i++)
        {
            result += Math.Log(n - k + i) - Math.Log(i);
        }
        return result;
    }
}
