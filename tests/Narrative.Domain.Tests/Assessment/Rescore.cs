using Narrative.Domain.Assessment;

namespace Narrative.Domain.Tests.Assessment;

/// <summary>The reference for removals: what a full rescore of the evidence left gives, in the shape <see cref="EvidenceOrigins"/> answers.</summary>
internal static class Rescore
{
    /// <summary>No leader without evidence; none (margin 0) when the top two tie on both scores; else the leader and its margin.</summary>
    public static Outcome OutcomeOf(AchScore rest)
    {
        if (rest.Leading is null) return new Outcome(null, null);
        var h = rest.Hypotheses;
        var margin = Math.Round(h[1].WeightedInconsistency - h[0].WeightedInconsistency, 9);
        return margin == 0 && h[0].Inconsistency == h[1].Inconsistency ? new Outcome(null, 0) : new Outcome(rest.Leading, margin);
    }
}
