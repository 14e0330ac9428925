namespace Narrative.Domain.Timeline;

public enum TimelineStep
{
    Day,
    Week,
}

/// <summary>
/// The assessment at one date. <paramref name="Scores"/> are weighted inconsistency per hypothesis.
/// <paramref name="Causes"/>: the scored items whose contribution to the scores is new or different since the
/// previous point (for the first point, since one step before it), i.e. the evidence published in between that
/// moved the scores. Items that entered without moving any score are not causes. <paramref name="Leading"/> is null
/// before the first scored claim. <paramref name="Robustness"/>: how many independent origins must go for the lead to
/// be lost (the flip set's size; exact when <paramref name="RobustnessExact"/>), null without a leader.
/// <paramref name="Likelihood"/> and <paramref name="Probability"/>: the assessment's ICD 203 word and p of the leader at
/// that date ("undetermined" and null without a leader).
/// </summary>
public sealed record TimelinePoint(
    DateOnly At, string? Leading, IReadOnlyDictionary<string, double> Scores, bool Changed, IReadOnlyList<string> Causes,
    int? Robustness, bool? RobustnessExact, string Likelihood, double? Probability);

public sealed record TimelineResult(string Topic, string Step, DateOnly From, DateOnly To, DateTimeOffset KnownAt, IReadOnlyList<TimelinePoint> Points)
{
    /// <summary><c>exclude</c> (judgments not scored, the default) or <c>include</c>.</summary>
    public string Judgments { get; init; } = "exclude";
}

public sealed record ChangedItem(string ItemId, string DocumentId, string Claim, DateOnly PublishedAt);

public sealed record ReratedItem(
    string ItemId, string DocumentId, IReadOnlyDictionary<string, string> RatingsBefore, IReadOnlyDictionary<string, string> RatingsAfter,
    int CredibilityBefore, int CredibilityAfter, string? Reason);

public sealed record ScoreChange(
    string Hypothesis, double InconsistencyBefore, double InconsistencyAfter, double WeightedBefore, double WeightedAfter)
{
    public double Delta => WeightedAfter - WeightedBefore;

    /// <summary>The hypothesis was not in the set before (a revision added it): its "before" figures are no score.</summary>
    public bool New { get; init; }
}

/// <summary>A revision of the hypothesis set recorded in the diff's system-time span: reported as a revision, not as evidence.</summary>
public sealed record HypothesisRevisionView(long Position, DateTimeOffset RecordedAt, string Reason, IReadOnlyList<string> Added,
    IReadOnlyList<string> Retired, IReadOnlyList<HypothesisSplit> Splits);

/// <summary>
/// A diff between two (asOf, knownAt) points of one topic: a world-time diff keeps knownAt fixed, a system-time
/// diff keeps asOf fixed.
/// </summary>
public sealed record ChangesResult(
    string Topic, DateOnly AsOfBefore, DateOnly AsOfAfter, DateTimeOffset KnownBefore, DateTimeOffset KnownAfter,
    IReadOnlyList<ChangedItem> Added, IReadOnlyList<ChangedItem> Retracted, IReadOnlyList<ReratedItem> Rerated,
    IReadOnlyList<ScoreChange> Scores, string? LeadingBefore, string? LeadingAfter)
{
    public IReadOnlyList<HypothesisRevisionView> Revisions { get; init; } = [];

    /// <summary>Hypotheses in the set before and not after (retired or split).</summary>
    public IReadOnlyList<string> RetiredHypotheses { get; init; } = [];

    public string Judgments { get; init; } = "exclude";
}
