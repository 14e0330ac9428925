namespace Narrative.Domain.Assessment;

/// <summary>
/// An assessment. <paramref name="Leading"/> and <paramref name="Probability"/> are null without a scored claim (then the
/// likelihood is "undetermined"); <paramref name="Basis"/> is what the likelihood word rests on. <paramref name="View"/>:
/// whose ratings were scored ("document", "analyst" with <paramref name="Analyst"/>, or "consensus").
/// </summary>
public sealed record AssessmentResult(
    string Topic, DateTimeOffset AsOf, DateTimeOffset KnownAt, long Position, string? Leading, string Likelihood,
    double? Probability, string Confidence, LikelihoodBasis Basis, IReadOnlyList<HypothesisScore> Hypotheses,
    IReadOnlyList<EvidenceView> Evidence, IReadOnlyList<long> EventPositions, string View = "document", string? Analyst = null)
{
    /// <summary><c>exclude</c> (judgments in their lane, not scored: the default) or <c>include</c> (the old rule).</summary>
    public string Judgments { get; init; } = "exclude";
}

/// <summary>
/// One item in an assessment. <paramref name="Scored"/>: it is its claim's first appearance, so its ratings count.
/// <paramref name="Contested"/>: a visible rebuttal lists it in <c>rebuts</c> (<paramref name="ContestedBy"/>).
/// <paramref name="RatingsBy"/>: whose ratings the row carries ("document", an analyst's id, or "consensus"), and
/// <paramref name="CellsBy"/> the same per hypothesis (null for document ratings throughout).
/// <paramref name="QuoteVerified"/>: whether the quote is in the main text of the document's capture (null without a capture or quote).
/// </summary>
public sealed record EvidenceView(
    string ItemId, string DocumentId, string Source, string Type, string Claim, DateOnly PublishedAt, int Credibility,
    string Reliability, IReadOnlyDictionary<string, string> Ratings, double Diagnosticity, bool Derivative,
    string? DerivedFrom, bool Contested, IReadOnlyList<string> ContestedBy, bool Scored,
    bool? QuoteVerified = null, string? CaptureId = null, string? Quote = null, string RatingsBy = "document",
    IReadOnlyDictionary<string, string>? CellsBy = null)
{
    /// <summary><c>judgments</c> for analytic judgments (type assessment), else <c>evidence</c>.</summary>
    public string Lane { get; init; } = "evidence";

    public string? Speaker { get; init; }

    public string? SpeakerReliability { get; init; }

    /// <summary>w = r(carrier) × c × s(speaker), rounded to 6 decimals.</summary>
    public double Weight { get; init; }

    /// <summary>Hypotheses this item is not rated for (unrated cells add nothing; NA is a rating).</summary>
    public IReadOnlyList<string> Unrated { get; init; } = [];
}
