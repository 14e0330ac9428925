namespace Narrative.Domain.Assessment;

/// <summary>
/// One hypothesis's scores. <paramref name="Coverage"/>: share of scored claims rated for it (<see cref="Assessment.Coverage"/>);
/// <paramref name="CanLead"/>: coverage of at least 0.8. <paramref name="Undisconfirmed"/>: no scored observation (an item
/// that is not a judgment) rates it I or II, a warning in ACH, which leans on disconfirmation.
/// </summary>
public sealed record HypothesisScore(string Id, string Label, double Inconsistency, double WeightedInconsistency, int Rank,
    double Coverage = 1.0, bool CanLead = true, bool Undisconfirmed = false);

/// <summary>
/// Scores in rank order (rank 1 = leading) and the items that were scored (one per claim). <paramref name="Leading"/> is
/// null when no scored claim counts against any hypothesis (none scored, or all scores 0): ACH ranks by inconsistency,
/// and all-zero scores favour nothing, whatever the id tie-break would say.
/// </summary>
public sealed record AchScore(IReadOnlyList<HypothesisScore> Hypotheses, string? Leading, IReadOnlyList<EvidenceItem> Scored)
{
    /// <summary>Second-best weighted score minus the leading one (0 with fewer than two hypotheses).</summary>
    public double Margin => Hypotheses.Count < 2 ? 0 : Hypotheses[1].WeightedInconsistency - Hypotheses[0].WeightedInconsistency;
}

/// <summary>ACH scoring per docs/design.md, "Evidence and scoring" (contract).</summary>
public static class AchScoring
{
    /// <summary>Source reliability weight r: A, B → √2; C, F → 1; D, E → 1/√2 (PARC ACH High / Medium / Low).</summary>
    public static double ReliabilityWeight(string reliability) => reliability switch
    {
        "A" or "B" => Math.Sqrt(2),
        "D" or "E" => 1 / Math.Sqrt(2),
        _ => 1.0,
    };

    /// <summary>Information credibility weight c: 1, 2 → √2; 3, 6 → 1; 4, 5 → 1/√2.</summary>
    public static double CredibilityWeight(int credibility) => credibility switch
    {
        1 or 2 => Math.Sqrt(2),
        4 or 5 => 1 / Math.Sqrt(2),
        _ => 1.0,
    };

    /// <summary>w = r(carrier) × c, times the speaker factor when the item names a speaker (<see cref="SpeakerWeight"/>).</summary>
    public static double Weight(EvidenceItem item)
    {
        ArgumentNullException.ThrowIfNull(item);
        var w = ReliabilityWeight(item.Reliability) * CredibilityWeight(item.Credibility);
        return item.Speaker is null ? w : w * SpeakerWeight.Factor(item);
    }

    /// <summary>I → 1, II → 2, anything else → 0.</summary>
    public static int InconsistencyPoints(string? rating) => rating switch
    {
        "I" => 1,
        "II" => 2,
        _ => 0,
    };

    /// <summary>
    /// Diagnosticity = max − min of the ratings mapped CC=2, C=1, N=0, I=−1, II=−2 (NA and unknown values are left
    /// out). 0 when all ratings are the same or fewer than two are comparable; at most 4 (CC against II).
    /// </summary>
    public static double Diagnosticity(IReadOnlyDictionary<string, string> ratings)
    {
        ArgumentNullException.ThrowIfNull(ratings);
        int max = int.MinValue, min = int.MaxValue;
        foreach (var (_, rating) in ratings)
        {
            if (RatingValue(rating) is { } v)
            {
                max = Math.Max(max, v);
                min = Math.Min(min, v);
            }
        }
        return max == int.MinValue ? 0 : max - min;
    }

    /// <summary>The rating scale: CC=2, C=1, N=0, I=−1, II=−2; null for NA and anything else.</summary>
    public static int? RatingValue(string? rating) => rating switch
    {
        "CC" => 2,
        "C" => 1,
        "N" => 0,
        "I" => -1,
        "II" => -2,
        _ => null,
    };

    // √2 · (1/√2) terms make equal sums differ in the last bits depending on the order of addition, so weighted
    // scores are compared at 9 decimals: a tie by hand is a tie here, and in any SQL summing the same terms.
    internal static double TieKey(double weighted) => Math.Round(weighted, 9);

    /// <summary>The first appearance of each claim among <paramref name="items"/> (which exclude retracted items).</summary>
    public static IReadOnlyList<EvidenceItem> FirstAppearances(IEnumerable<EvidenceItem> items)
    {
        ArgumentNullException.ThrowIfNull(items);
        var first = new Dictionary<string, EvidenceItem>(StringComparer.Ordinal);
        foreach (var item in items)
        {
            if (!first.TryGetValue(item.Claim, out var held) || EvidenceItem.AppearanceOrder.Compare(item, held) < 0)
            {
                first[item.Claim] = item;
            }
        }
        var list = first.Values.ToList();
        list.Sort(EvidenceItem.AppearanceOrder);
        return list;
    }

    /// <summary>
    /// Scores every hypothesis over the claims of <paramref name="items"/>. Leading = lowest weighted score;
    /// ties go to the lower unweighted score, then to the ordinal-first id; none while every score is 0.
    /// </summary>
    public static AchScore Score(IReadOnlyList<Hypothesis> hypotheses, IEnumerable<EvidenceItem> items)
    {
        ArgumentNullException.ThrowIfNull(hypotheses);
        return Score(hypotheses, FirstAppearances(items), new double[hypotheses.Count], new double[hypotheses.Count], new int[hypotheses.Count]);
    }

    /// <summary>
    /// As above from the scored items themselves (each claim's first appearance, in appearance order), leaving the
    /// sums in <paramref name="plain"/>, <paramref name="weighted"/> and <paramref name="rated"/> (zeros on entry).
    /// </summary>
    internal static AchScore Score(
        IReadOnlyList<Hypothesis> hypotheses, IReadOnlyList<EvidenceItem> scored, double[] plain, double[] weighted, int[] rated)
    {
        var disconfirmed = new bool[hypotheses.Count];
        // Claims in appearance order, added to every hypothesis's sums one after the other: the order of addition is
        // part of the result (see TieKey), and the timeline adds them in the same order.
        foreach (var item in scored)
        {
            AddTerms(hypotheses, item, plain, weighted, rated);
            if (!ScoringRules.IsJudgment(item))
            {
                for (var h = 0; h < hypotheses.Count; h++)
                {
                    disconfirmed[h] |= InconsistencyPoints(item.Ratings.GetValueOrDefault(hypotheses[h].Id)) > 0;
                }
            }
        }
        var ids = hypotheses.Select((h, i) => (h.Id, i)).ToDictionary(x => x.Id, x => x.i, StringComparer.Ordinal);
        var ranked = Rank(hypotheses, plain, weighted, rated, scored.Count)
            .Select(h => h with { Undisconfirmed = !disconfirmed[ids[h.Id]] })
            .ToList();
        return new AchScore(ranked, LeaderOf(ranked), scored);
    }

    /// <summary>
    /// The first of <paramref name="ranked"/>, or null when every score is 0 (no claim, or none against anything) or
    /// when no hypothesis has the coverage to lead.
    /// </summary>
    public static string? LeaderOf(IReadOnlyList<HypothesisScore> ranked)
    {
        ArgumentNullException.ThrowIfNull(ranked);
        return ranked.Count > 0 && ranked[0].CanLead && ranked.Any(h => h.Inconsistency != 0) ? ranked[0].Id : null;
    }

    /// <summary>
    /// Adds one scored claim's terms (its item's inconsistency points, plain and weighted) to the sums; true when any
    /// of them is not zero, i.e. the claim moved a score.
    /// </summary>
    public static bool AddTerms(IReadOnlyList<Hypothesis> hypotheses, EvidenceItem item, double[] plain, double[] weighted) =>
        AddTerms(hypotheses, item, plain, weighted, null);

    /// <summary>As above, also counting in <paramref name="rated"/> (when given) the hypotheses the claim is rated for.</summary>
    public static bool AddTerms(IReadOnlyList<Hypothesis> hypotheses, EvidenceItem item, double[] plain, double[] weighted, int[]? rated)
    {
        ArgumentNullException.ThrowIfNull(hypotheses);
        ArgumentNullException.ThrowIfNull(item);
        ArgumentNullException.ThrowIfNull(plain);
        ArgumentNullException.ThrowIfNull(weighted);
        var weight = Weight(item);
        var moved = false;
        for (var h = 0; h < hypotheses.Count; h++)
        {
            var points = InconsistencyPoints(item.Ratings.GetValueOrDefault(hypotheses[h].Id));
            plain[h] += points;
            weighted[h] += points * weight;
            moved |= points != 0;
            if (rated is not null && Assessment.Coverage.IsRated(item.Ratings, hypotheses[h].Id))
            {
                rated[h]++;
            }
        }
        return moved;
    }

    /// <summary>
    /// The hypotheses in rank order from their sums: lowest weighted score first; ties go to the lower unweighted
    /// score, then to the ordinal-first id.
    /// </summary>
    public static IReadOnlyList<HypothesisScore> Rank(IReadOnlyList<Hypothesis> hypotheses, double[] plain, double[] weighted) =>
        Rank(hypotheses, plain, weighted, null, 0);

    /// <summary>
    /// As above, with coverage: <paramref name="rated"/>[h] of <paramref name="claims"/> scored claims are rated for
    /// hypothesis h (null: every one). Hypotheses that cannot lead (coverage below 0.8) rank after those that can.
    /// </summary>
    public static IReadOnlyList<HypothesisScore> Rank(IReadOnlyList<Hypothesis> hypotheses, double[] plain, double[] weighted, int[]? rated, int claims)
    {
        ArgumentNullException.ThrowIfNull(hypotheses);
        ArgumentNullException.ThrowIfNull(plain);
        ArgumentNullException.ThrowIfNull(weighted);
        return hypotheses
            .Select((h, i) =>
            {
                var coverage = rated is null ? 1.0 : Assessment.Coverage.Of(rated[i], claims);
                return (h, plain: plain[i], weighted: weighted[i], coverage, canLead: Assessment.Coverage.CanLead(coverage));
            })
            .OrderBy(x => x.canLead ? 0 : 1)
            .ThenBy(x => TieKey(x.weighted))
            .ThenBy(x => x.plain)
            .ThenBy(x => x.h.Id, StringComparer.Ordinal)
            .Select((x, i) => new HypothesisScore(x.h.Id, x.h.Label, x.plain, x.weighted, i + 1, Math.Round(x.coverage, 4), x.canLead))
            .ToList();
    }
}
