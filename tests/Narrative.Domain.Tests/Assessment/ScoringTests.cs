using Narrative.Domain.Assessment;

namespace Narrative.Domain.Tests.Assessment;

public class ScoringTests
{
    private static readonly Hypothesis[] Hypotheses = [new("genuine", "Genuine", null), new("feigned", "Feigned", null)];

    private static EvidenceItem Item(string id, string claim, string genuine, string feigned, string reliability = "C", int credibility = 3,
        int day = 1, long position = 1, string source = "src") =>
        new(id, $"doc-{id}", source, reliability, new DateOnly(2024, 1, day), position, "t", "signal", claim, credibility,
            new Dictionary<string, string> { ["genuine"] = genuine, ["feigned"] = feigned }, []);

    [Theory]
    [InlineData("A", 1, 2.0)]
    [InlineData("B", 3, 1.4142135623730951)]
    [InlineData("C", 6, 1.0)]
    [InlineData("F", 4, 0.7071067811865475)]
    [InlineData("D", 5, 0.5)]
    [InlineData("E", 2, 1.0)]
    public void weight_is_reliability_times_credibility(string reliability, int credibility, double expected) =>
        Assert.Equal(expected, AchScoring.Weight(Item("x", "c", "C", "C", reliability, credibility)), 12);

    [Fact]
    public void claim_is_scored_once_with_first_appearance_ratings()
    {
        var first = Item("first", "openness", "C", "I", day: 1);
        var rereport = Item("rereport", "openness", "II", "II", day: 5);

        var score = AchScoring.Score(Hypotheses, [rereport, first]);

        Assert.Equal(["first"], score.Scored.Select(s => s.ItemId));
        Assert.Equal(0, score.Hypotheses.Single(h => h.Id == "genuine").Inconsistency);
        Assert.Equal(1, score.Hypotheses.Single(h => h.Id == "feigned").Inconsistency);
    }

    [Fact]
    public void first_appearance_ties_on_date_go_to_the_earlier_position_then_item_id()
    {
        Assert.Equal("later-id", AchScoring.FirstAppearances([Item("later-id", "c", "C", "C", position: 1), Item("a", "c", "I", "I", position: 2)])[0].ItemId);
        Assert.Equal("a", AchScoring.FirstAppearances([Item("b", "c", "C", "C", position: 1), Item("a", "c", "I", "I", position: 1)])[0].ItemId);
    }

    [Fact]
    public void weighted_score_can_reverse_the_unweighted_order()
    {
        // genuine: one I from a B source at credibility 3: 1 × √2 × 1 = 1.414.
        // feigned: one II from a D source at credibility 5: 2 × (1/√2) × (1/√2) = 1.0. Feigned leads despite 2 > 1.
        var score = AchScoring.Score(Hypotheses, [Item("a", "a", "I", "C", "B", 3), Item("b", "b", "C", "II", "D", 5)]);

        Assert.Equal("feigned", score.Leading);
        var (feigned, genuine) = (score.Hypotheses[0], score.Hypotheses[1]);
        Assert.Equal(("feigned", 2.0, 1), (feigned.Id, feigned.Inconsistency, feigned.Rank));
        Assert.Equal(1.0, feigned.WeightedInconsistency, 12);
        Assert.Equal(("genuine", 1.0, 2), (genuine.Id, genuine.Inconsistency, genuine.Rank));
        Assert.Equal(Math.Sqrt(2), genuine.WeightedInconsistency, 12);
    }

    [Fact]
    public void weighted_tie_goes_to_the_lower_unweighted_score()
    {
        // genuine: I with w = √2 (A, 3) = 1.41421356...; feigned: II with w = 1/√2 (C, 4) = 2/√2, equal but for rounding.
        var score = AchScoring.Score(Hypotheses, [Item("a", "a", "I", "C", "A", 3), Item("b", "b", "C", "II", "C", 4)]);
        Assert.Equal("genuine", score.Leading);
        Assert.Equal(["genuine", "feigned"], score.Hypotheses.Select(h => h.Id));
    }

    [Fact]
    public void claims_that_count_against_no_hypothesis_leave_no_leader()
    {
        // Scored, but all-zero scores favour nothing: the id tie-break must not name a leader.
        Assert.Null(AchScoring.Score(Hypotheses, []).Leading);
        var score = AchScoring.Score(Hypotheses, [Item("a", "a", "N", "N"), Item("b", "b", "C", "CC")]);
        Assert.Equal(2, score.Scored.Count);
        Assert.Null(score.Leading);
    }

    [Fact]
    public void full_tie_goes_to_the_ordinal_first_id()
    {
        var score = AchScoring.Score(Hypotheses, [Item("a", "a", "I", "I")]);
        Assert.Equal("feigned", score.Leading);
        Assert.Equal([1, 2], score.Hypotheses.Select(h => h.Rank));
    }

    [Theory]
    [InlineData("CC", "II", 4)]
    [InlineData("C", "C", 0)]
    [InlineData("C", "I", 2)]
    [InlineData("N", "NA", 0)]
    [InlineData("NA", "NA", 0)]
    public void diagnosticity_is_the_spread_of_mapped_ratings(string genuine, string feigned, double expected) =>
        Assert.Equal(expected, AchScoring.Diagnosticity(new Dictionary<string, string> { ["genuine"] = genuine, ["feigned"] = feigned }));

    [Theory]
    [InlineData(0.04, "almost no chance")]
    [InlineData(0.05, "very unlikely")]
    [InlineData(0.2, "unlikely")]
    [InlineData(0.5, "roughly even chance")]
    [InlineData(0.55, "roughly even chance")]
    [InlineData(0.56, "likely")]
    [InlineData(0.8, "very likely")]
    [InlineData(0.95, "almost certain")]
    public void likelihood_word_follows_icd_203_bands(double p, string word) => Assert.Equal(word, Likelihood.Word(p));
}
