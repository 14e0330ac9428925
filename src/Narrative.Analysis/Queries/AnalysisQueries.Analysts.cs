using Narrative.Domain.Analysts;
using Narrative.Domain.Assessment;
using Narrative.Domain.Replay;

namespace Narrative.Analysis.Queries;

/// <summary>Several analysts on one topic: the assessment through an analyst's or the consensus ratings, and the disagreement.</summary>
public sealed partial class AnalysisQueries
{
    public async Task<AssessmentResult?> AssessAsync(string topic, DateTimeOffset asOf, DateTimeOffset knownAt, RatingsLens lens, ScoringRules rules,
        CancellationToken ct) =>
        WorldQueries.Assess(await TopicWorldAsync(topic, WorldQueries.WorldDate(asOf), knownAt, ct), topic, asOf, knownAt, lens, rules);

    public async Task<DisagreementResult?> DisagreementAsync(string topic, DateTimeOffset asOf, DateTimeOffset knownAt, CancellationToken ct) =>
        WorldQueries.Disagreement(await TopicWorldAsync(topic, WorldQueries.WorldDate(asOf), knownAt, ct), topic, asOf, knownAt);
}
