using Narrative.Domain.Analysts;
using Narrative.Domain.Assessment;

namespace Narrative.Domain.Replay;

/// <summary>Several analysts on one topic: the views through their ratings, and where they disagree.</summary>
public static partial class WorldQueries
{
    public const int MostDisputedCount = 5;

    /// <summary>The topic's items through <paramref name="lens"/>; the rating events used are added to <paramref name="used"/>.</summary>
    private static RatedEvidence Rate(NarrativeWorld world, string topic, DateTimeOffset knownAt, IReadOnlyList<EvidenceItem> items,
        RatingsLens? lens, HashSet<long> used)
    {
        if (lens is null || lens.Kind == RatingsLens.DocumentKind)
        {
            return new RatedEvidence(items, new Dictionary<string, RatingSource>(), []);
        }
        var rated = RatingViews.Apply(lens, items, RatingViews.Latest(world.RatingsOf(topic), knownAt));
        foreach (var p in rated.Positions)
        {
            used.Add(p);
        }
        return rated;
    }

    /// <summary>
    /// The team's disagreement at (asOf, knownAt). Leaders come from <see cref="Assess"/> through each lens, so they are
    /// exactly what the assessment views show. Only claims visible at asOf count; analysts are those who rated one.
    /// </summary>
    public static DisagreementResult? Disagreement(NarrativeWorld world, string topic, DateTimeOffset asOf, DateTimeOffset knownAt)
    {
        if (Open(world, topic, asOf, knownAt) is not var (_, view))
        {
            return null;
        }
        var scored = AchScoring.FirstAppearances(view.TopicItems(topic)).ToDictionary(i => i.Claim, StringComparer.Ordinal);
        var latest = RatingViews.Latest(world.RatingsOf(topic), knownAt)
            .Where(kv => scored.ContainsKey(kv.Key) && kv.Value.Count > 0)
            .ToDictionary(kv => kv.Key, kv => kv.Value, StringComparer.Ordinal);

        var claims = new List<ClaimDisagreement>();
        foreach (var (claim, byAnalyst) in latest)
        {
            var document = scored[claim].Ratings;
            var raters = byAnalyst.Keys.Order(StringComparer.Ordinal).ToList();
            var ratings = raters.ToDictionary(a => a, a => byAnalyst[a].Ratings, StringComparer.Ordinal);
            var byHypothesis = RatingViews.SpreadByHypothesis(ratings.Values);
            var spread = byHypothesis.Values.DefaultIfEmpty(0).Max();
            var diagnosticity = raters.Max(a => AchScoring.Diagnosticity(RatingViews.Overlay(document, ratings[a])));
            claims.Add(new ClaimDisagreement(claim, spread, byHypothesis, diagnosticity, spread * diagnosticity, raters, ratings,
                RatingViews.Consensus(byAnalyst.Values)));
        }
        claims.Sort((a, b) =>
        {
            var c = b.Weight.CompareTo(a.Weight);
            c = c != 0 ? c : b.Spread.CompareTo(a.Spread);
            return c != 0 ? c : string.CompareOrdinal(a.Claim, b.Claim);
        });

        var consensus = Assess(world, topic, asOf, knownAt, RatingsLens.Consensus)!;
        var document0 = Assess(world, topic, asOf, knownAt)!;
        var analysts = latest.Values.SelectMany(v => v.Keys).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal)
            .Select(a =>
            {
                var leading = Assess(world, topic, asOf, knownAt, RatingsLens.Of(a))!.Leading;
                return new AnalystLead(a, leading, leading != consensus.Leading, latest.Values.Count(v => v.ContainsKey(a)));
            })
            .ToList();
        return new DisagreementResult(
            topic, asOf, knownAt, consensus.Position, consensus.Leading, document0.Leading, analysts.Any(a => a.DiffersFromConsensus),
            analysts, claims, [.. claims.Where(c => c.Weight > 0).Take(MostDisputedCount).Select(c => c.Claim)]);
    }
}
