namespace Narrative.Domain.Assessment;

/// <summary>
/// The ICD 203 likelihood word, kept apart from confidence. Rule: p(h) = exp(−weighted(h)) / Σ exp(−weighted(g))
/// (a softmax over the negated weighted inconsistency scores), then p of the leading hypothesis is mapped to the
/// ICD 203 bands with lower bounds inclusive: [0, .05) almost no chance, [.05, .20) very unlikely,
/// [.20, .45) unlikely, [.45, .55] roughly even chance, (.55, .80) likely, [.80, .95) very likely, [.95, 1] almost certain.
/// With no evidence every hypothesis gets 1/n.
/// </summary>
public static class Likelihood
{
    public static IReadOnlyDictionary<string, double> Probabilities(IReadOnlyList<HypothesisScore> scores)
    {
        ArgumentNullException.ThrowIfNull(scores);
        if (scores.Count == 0)
        {
            return new Dictionary<string, double>();
        }
        // Shift by the minimum so exp never underflows to 0/0.
        var min = scores.Min(s => s.WeightedInconsistency);
        var exps = scores.ToDictionary(s => s.Id, s => Math.Exp(-(s.WeightedInconsistency - min)), StringComparer.Ordinal);
        var total = exps.Values.Sum();
        return exps.ToDictionary(e => e.Key, e => e.Value / total, StringComparer.Ordinal);
    }

    public static string Word(double p) => p switch
    {
        < 0.05 => "almost no chance",
        < 0.20 => "very unlikely",
        < 0.45 => "unlikely",
        <= 0.55 => "roughly even chance",
        < 0.80 => "likely",
        < 0.95 => "very likely",
        _ => "almost certain",
    };
}

/// <summary>
/// Confidence (low / moderate / high) from the breadth and quality of the evidence, not from the scores' size.
/// Counted: scored claims whose scored item is diagnostic (diagnosticity &gt; 0) and an independent origin
/// (not derivative). High: at least 3 such claims, from at least 2 distinct sources graded A or B, and a leading
/// margin (second-best weighted − leading weighted) of at least 1. Moderate: at least 2 such claims and a
/// margin above 0. Otherwise low.
/// </summary>
public static class Confidence
{
    public const string Low = "low";
    public const string Moderate = "moderate";
    public const string High = "high";

    public static string Assess(AchScore score, Func<EvidenceItem, bool> isDerivative)
    {
        ArgumentNullException.ThrowIfNull(score);
        ArgumentNullException.ThrowIfNull(isDerivative);
        var counted = score.Scored.Where(i => AchScoring.Diagnosticity(i.Ratings) > 0 && !isDerivative(i)).ToList();
        var goodSources = counted.Where(i => i.Reliability is "A" or "B").Select(i => i.Source).Distinct(StringComparer.Ordinal).Count();
        if (counted.Count >= 3 && goodSources >= 2 && score.Margin >= 1)
        {
            return High;
        }
        return counted.Count >= 2 && score.Margin > 0 ? Moderate : Low;
    }
}
