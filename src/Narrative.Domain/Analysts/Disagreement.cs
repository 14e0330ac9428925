namespace Narrative.Domain.Analysts;

/// <summary>One analyst's leading hypothesis in their own view, and whether it differs from the consensus leader.</summary>
public sealed record AnalystLead(string Id, string? Leading, bool DiffersFromConsensus, int ClaimsRated);

/// <summary>
/// How far the analysts who rated a claim are apart. <paramref name="Spread"/>: the largest difference on the CC…II
/// scale (CC=2 … II=−2) between two analysts' ratings of the same hypothesis (per hypothesis in
/// <paramref name="SpreadByHypothesis"/>). <paramref name="Diagnosticity"/>: the largest diagnosticity of the claim in
/// any rater's own view; <paramref name="Weight"/> = spread × diagnosticity, so a disagreement over a claim that tells
/// no hypothesis from another counts for nothing. <paramref name="Ratings"/>: analyst → their ratings as recorded.
/// </summary>
public sealed record ClaimDisagreement(
    string Claim, int Spread, IReadOnlyDictionary<string, int> SpreadByHypothesis, double Diagnosticity, double Weight,
    IReadOnlyList<string> Raters, IReadOnlyDictionary<string, IReadOnlyDictionary<string, string>> Ratings,
    IReadOnlyDictionary<string, string> Consensus);

/// <summary>
/// Where the team disagrees at (asOf, knownAt): each analyst's leader, the consensus leader (and the documents'),
/// whether any analyst's leader differs from the consensus, every rated claim with its spread (most disputed first,
/// by weight), and <paramref name="MostDisputed"/>, the claims of weight above 0, at most five.
/// </summary>
public sealed record DisagreementResult(
    string Topic, DateTimeOffset AsOf, DateTimeOffset KnownAt, long Position, string? ConsensusLeading, string? DocumentLeading,
    bool LeaderDiffers, IReadOnlyList<AnalystLead> Analysts, IReadOnlyList<ClaimDisagreement> Claims, IReadOnlyList<string> MostDisputed);
