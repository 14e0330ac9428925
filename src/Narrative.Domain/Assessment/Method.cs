namespace Narrative.Domain.Assessment;

/// <summary>
/// Which items are scored. Items of type <c>assessment</c> are analytic judgments (other analysts' or our own): they
/// sit in a judgments lane and are not scored unless <paramref name="IncludeJudgments"/> (<c>?judgments=include</c>),
/// because a judgment is a reading of the evidence, not more of it, and scoring it counts the evidence it reads twice.
/// </summary>
public sealed record ScoringRules(bool IncludeJudgments = false)
{
    public const string JudgmentType = "assessment";

    public static ScoringRules Default { get; } = new();

    public static ScoringRules WithJudgments { get; } = new(true);

    /// <summary>The lane an item is shown in: <c>judgments</c> for analytic judgments, else <c>evidence</c>.</summary>
    public static string LaneOf(string type) => type == JudgmentType ? "judgments" : "evidence";

    public static bool IsJudgment(EvidenceItem item) => item.Type == JudgmentType;

    public bool Scores(EvidenceItem item) => IncludeJudgments || !IsJudgment(item);

    /// <summary>The items these rules score, in the order given.</summary>
    public IReadOnlyList<EvidenceItem> Scorable(IReadOnlyList<EvidenceItem> items)
    {
        ArgumentNullException.ThrowIfNull(items);
        if (IncludeJudgments)
        {
            return items;
        }
        var list = new List<EvidenceItem>(items.Count);
        foreach (var item in items)
        {
            if (!IsJudgment(item))
            {
                list.Add(item);
            }
        }
        return list;
    }
}

/// <summary>
/// The speaker-and-carrier weight rule. The carrier (the outlet that published the document) answers "were these words
/// said, was this done?", through its reliability r and the item's credibility c, as in the contract. The speaker (the
/// source whose words or acts the item reports) answers "what are they worth as evidence of intent?": its grade, which
/// for an interested party folds in its interest and record, multiplies the weight by s = r(speaker) / √2, so an A or B
/// speaker costs nothing (s = 1), C or F halves the odds weight to 1/√2, D or E to 1/2.
/// <para>w = r(carrier) × c × s(speaker). Without a speaker, or when the speaker is the carrier itself (its grade already
/// counts once), s = 1 and w is the contract weight r × c.</para>
/// </summary>
public static class SpeakerWeight
{
    public static double Factor(EvidenceItem item)
    {
        ArgumentNullException.ThrowIfNull(item);
        if (item.Speaker is null || item.Speaker == item.Source)
        {
            return 1.0;
        }
        return AchScoring.ReliabilityWeight(item.SpeakerReliability ?? "F") / Math.Sqrt(2);
    }
}

/// <summary>
/// Unrated cells and coverage. A cell never rated adds nothing to a score and is shown as unrated; <c>NA</c> is a rating
/// ("not applicable") and counts as rated. A hypothesis's coverage is the share of scored claims rated for it; below
/// <see cref="MinCoverage"/> it cannot lead, so a hypothesis added late does not win by having nothing against it.
/// </summary>
public static class Coverage
{
    public const double MinCoverage = 0.8;

    /// <summary>Coverage from the count of scored claims rated for a hypothesis; 1 when nothing is scored (nothing is missing).</summary>
    public static double Of(int rated, int claims) => claims == 0 ? 1.0 : (double)rated / claims;

    public static bool CanLead(double coverage) => Math.Round(coverage, 9) >= MinCoverage;

    public static bool IsRated(IReadOnlyDictionary<string, string> ratings, string hypothesis) => ratings.ContainsKey(hypothesis);
}
