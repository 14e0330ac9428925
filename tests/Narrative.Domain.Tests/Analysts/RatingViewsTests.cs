using Narrative.Domain.Analysts;
using Narrative.Domain.Assessment;

namespace Narrative.Domain.Tests.Analysts;

public sealed class RatingViewsTests
{
    private static readonly DateTimeOffset T0 = new(2024, 6, 1, 12, 0, 0, TimeSpan.Zero);

    private static AnalystRating Rating(long position, string analyst, string claim, Dictionary<string, string> ratings, int? credibility = null) =>
        new(position, T0.AddMinutes(position), analyst, "t", claim, ratings, credibility, null);

    private static EvidenceItem Item(string id, string claim, Dictionary<string, string> ratings) =>
        new(id, "d", "s", "B", new DateOnly(2024, 1, 1), 1, "t", "report", claim, 3, ratings, []);

    [Theory]
    [InlineData(new[] { "C" }, "C")]
    [InlineData(new[] { "II", "I", "C" }, "I")]
    [InlineData(new[] { "C", "I" }, "N")]
    [InlineData(new[] { "CC", "C" }, "C")]
    [InlineData(new[] { "II", "I" }, "I")]
    [InlineData(new[] { "II", "CC" }, "N")]
    [InlineData(new[] { "NA", "C", "NA" }, "C")]
    [InlineData(new[] { "NA", "NA" }, "NA")]
    [InlineData(new[] { "CC", "CC", "II", "N" }, "C")]
    public void the_consensus_of_a_cell_is_the_median_with_an_even_counts_middle_pair_rounded_toward_n(string[] ratings, string expected) =>
        Assert.Equal(expected, RatingViews.Median(ratings));

    [Fact]
    public void no_rating_has_no_consensus() => Assert.Null(RatingViews.Median([]));

    [Fact]
    public void spread_is_the_largest_difference_between_two_analysts_on_one_hypothesis_leaving_out_na()
    {
        Dictionary<string, string>[] ratings = [new() { ["h1"] = "CC", ["h2"] = "N" }, new() { ["h1"] = "I", ["h2"] = "NA" }, new() { ["h2"] = "II" }];
        Assert.Equal(3, RatingViews.Spread(ratings));
        Assert.Equal(new Dictionary<string, int> { ["h1"] = 3, ["h2"] = 2 }, RatingViews.SpreadByHypothesis(ratings));
        Assert.Equal(0, RatingViews.Spread([new Dictionary<string, string> { ["h1"] = "CC" }]));
    }

    [Fact]
    public void a_newer_rating_by_the_same_analyst_supersedes_the_older_one_from_its_system_time_on()
    {
        AnalystRating[] all = [Rating(1, "alice", "c", new() { ["h1"] = "I" }), Rating(5, "alice", "c", new() { ["h2"] = "C" }), Rating(3, "bob", "c", new() { ["h1"] = "C" })];
        var now = RatingViews.Latest(all, T0.AddHours(1));
        Assert.Equal(5, now["c"]["alice"].Position);
        Assert.Equal(3, now["c"]["bob"].Position);
        var earlier = RatingViews.Latest(all, T0.AddMinutes(4));
        Assert.Equal(1, earlier["c"]["alice"].Position);
        Assert.Empty(RatingViews.Latest(all, T0));
    }

    [Fact]
    public void an_analysts_view_takes_their_cells_and_credibility_and_fills_the_rest_from_the_document_saying_so_per_cell()
    {
        var items = new[] { Item("a1", "c", new() { ["h1"] = "C", ["h2"] = "N" }), Item("a2", "c", new() { ["h1"] = "C", ["h2"] = "N" }), Item("b", "other", new() { ["h1"] = "N", ["h2"] = "N" }) };
        var latest = RatingViews.Latest([Rating(7, "alice", "c", new() { ["h1"] = "II" }, credibility: 1)], T0.AddDays(1));
        var rated = RatingViews.Apply(RatingsLens.Of("alice"), items, latest);
        Assert.All(rated.Items.Take(2), i => Assert.Equal(("II", "N", 1), (i.Ratings["h1"], i.Ratings["h2"], i.Credibility)));
        Assert.Same(items[2], rated.Items[2]);
        Assert.Equal("alice", rated.Sources["a1"].RatingsBy);
        Assert.Equal(new Dictionary<string, string> { ["h1"] = "alice", ["h2"] = "document" }, rated.Sources["a1"].CellsBy);
        Assert.False(rated.Sources.ContainsKey("b"));
        Assert.Equal(7L, Assert.Single(rated.Positions));
        Assert.Same(items, RatingViews.Apply(RatingsLens.Of("bob"), items, RatingViews.Latest([], T0)).Items);
    }

    [Fact]
    public void the_consensus_view_takes_the_median_of_the_cells_analysts_rated_and_keeps_the_document_credibility()
    {
        var items = new[] { Item("a", "c", new() { ["h1"] = "C", ["h2"] = "N", ["h3"] = "I" }) };
        var latest = RatingViews.Latest(
        [
            Rating(1, "alice", "c", new() { ["h1"] = "II", ["h2"] = "C" }, credibility: 1),
            Rating(2, "bob", "c", new() { ["h1"] = "I", ["h2"] = "C" }),
            Rating(3, "carol", "c", new() { ["h1"] = "C", ["h2"] = "I" }),
        ], T0.AddDays(1));
        var item = RatingViews.Apply(RatingsLens.Consensus, items, latest).Items[0];
        Assert.Equal(("I", "C", "I", 3), (item.Ratings["h1"], item.Ratings["h2"], item.Ratings["h3"], item.Credibility));
    }
}
