using System.Collections.Immutable;
using Narrative.Domain.Assessment;
using Narrative.Domain.Corpus;
using Narrative.Domain.Hypotheses;
using Narrative.Domain.Replay;
using Narrative.Domain.Signposts;

namespace Narrative.Domain.Tests.Method;

/// <summary>The ACH method's rules: judgments lane, speaker weight, unrated cells and coverage, revisions, rating sensitivity, signposts.</summary>
public class MethodRuleTests
{
    private static readonly Hypothesis[] Two = [new("genuine", "Genuine", null), new("feigned", "Feigned", null)];

    private static EvidenceItem Item(string id, string type, IReadOnlyDictionary<string, string> ratings, string reliability = "B", int credibility = 3,
        string? speaker = null, string? speakerReliability = null, int day = 1, string source = "nyt") =>
        new(id, $"doc-{id}", source, reliability, new DateOnly(2024, 1, day), day, "t", type, id, credibility, ratings, [], speaker, speakerReliability);

    private static Dictionary<string, string> R(string genuine, string feigned) => new() { ["genuine"] = genuine, ["feigned"] = feigned };

    [Fact]
    public void judgments_are_not_scored_by_default_and_are_scored_with_judgments_include()
    {
        var items = new[] { Item("judgment", "assessment", R("I", "C")), Item("signal", "signal", R("C", "I"), credibility: 4) };

        var without = AchScoring.Score(Two, ScoringRules.Default.Scorable(items));
        var with = AchScoring.Score(Two, ScoringRules.WithJudgments.Scorable(items));

        // Without the judgment: feigned has the signal's I (√2 × 1/√2 = 1), genuine nothing.
        Assert.Equal(("genuine", 0.0, 1.0), (without.Leading, Score(without, "genuine"), Score(without, "feigned")));
        // With it (the old rule): genuine has the judgment's I at √2 > 1.
        Assert.Equal(("feigned", Math.Round(Math.Sqrt(2), 9), 1.0), (with.Leading, Score(with, "genuine"), Score(with, "feigned")));
        Assert.Equal("judgments", ScoringRules.LaneOf("assessment"));
        Assert.Equal("evidence", ScoringRules.LaneOf("statement"));
    }

    [Fact]
    public void a_hypothesis_that_no_scored_observation_rates_inconsistent_is_undisconfirmed_even_when_a_judgment_does()
    {
        var items = new[] { Item("judgment", "assessment", R("C", "II")), Item("signal", "signal", R("I", "C")) };

        var score = AchScoring.Score(Two, ScoringRules.WithJudgments.Scorable(items));

        Assert.True(score.Hypotheses.Single(h => h.Id == "feigned").Undisconfirmed);
        Assert.False(score.Hypotheses.Single(h => h.Id == "genuine").Undisconfirmed);
    }

    [Theory]
    // carrier, speaker (null: none), expected weight at credibility 2 (c = √2)
    [InlineData("B", null, 2.0)]
    [InlineData("B", "B", 2.0)]
    [InlineData("B", "C", 1.4142135623730951)]
    [InlineData("B", "E", 1.0)]
    [InlineData("C", "E", 0.7071067811865475)]
    public void a_speaker_multiplies_the_contract_weight_by_its_grade_over_root_two(string carrier, string? speaker, double expected) =>
        Assert.Equal(expected, AchScoring.Weight(Item("x", "statement", R("C", "C"), carrier, 2, speaker is null ? null : "kremlin", speaker)), 12);

    [Fact]
    public void a_speaker_that_is_the_carrier_itself_counts_its_grade_once()
    {
        var item = Item("x", "assessment", R("C", "C"), "C", 3, "nyt", "C");
        Assert.Equal(1.0, AchScoring.Weight(item), 12);
    }

    [Fact]
    public void regrading_a_speaker_changes_the_weight_of_every_item_it_spoke_and_only_those()
    {
        var sources = new[]
        {
            Event(1, new SourceRegistered("nyt", "NYT", "newspaper", "B", null)),
            Event(2, new SourceRegistered("kremlin", "Kremlin", "government", "E", null)),
            Event(3, new TopicOpened("t", "T", new DateOnly(2024, 1, 1), new DateOnly(2024, 12, 31), Two)),
            Event(4, new DocumentIngested("d", "nyt", new DateOnly(2024, 1, 5), "D", null, [], [], ["a", "b"], "h")),
            Event(5, Recorded("a", "kremlin", R("I", "C"))),
            Event(6, Recorded("b", null, R("C", "I"))),
        };
        var before = NarrativeWorld.From(sources);
        var after = before.Apply(Event(7, new SourceRegraded("kremlin", "B", "on-record statements proved reliable")));
        var asOf = WorldQueries.EndOfDay(new DateOnly(2024, 1, 31));

        var a0 = WorldQueries.Assess(after, "t", asOf, At(6))!;
        var a1 = WorldQueries.Assess(after, "t", asOf, At(7))!;

        // Item a (spoken by the Kremlin): √2 × √2 × (1/√2)/√2 = 1 before, √2 × √2 × 1 = 2 after; item b stays 2.
        Assert.Equal((1.0, 2.0), (Weight(a0, "a"), Weight(a0, "b")));
        Assert.Equal((2.0, 2.0), (Weight(a1, "a"), Weight(a1, "b")));
        // The earlier system time does not move.
        Assert.Equal(Weight(WorldQueries.Assess(before, "t", asOf, At(6))!, "a"), Weight(a0, "a"));
    }

    [Fact]
    public void an_unrated_cell_adds_nothing_and_lowers_coverage_and_na_counts_as_rated()
    {
        var three = new[] { Two[0], Two[1], new Hypothesis("late", "Late", null) };
        var items = Enumerable.Range(1, 5).Select(i => Item($"i{i}", "signal",
            new Dictionary<string, string> { ["genuine"] = "I", ["feigned"] = "I", ["late"] = i <= 3 ? "NA" : "" }.Where(kv => kv.Value != "")
                .ToDictionary(kv => kv.Key, kv => kv.Value))).ToList();

        var score = AchScoring.Score(three, items);

        var late = score.Hypotheses.Single(h => h.Id == "late");
        // 3 of 5 scored claims rated (NA is a rating): coverage 0.6 < 0.8, so it cannot lead although nothing counts against it.
        Assert.Equal((0.0, 0.6, false), (late.WeightedInconsistency, late.Coverage, late.CanLead));
        Assert.Equal("feigned", score.Leading);
        Assert.Equal(3, late.Rank);
    }

    [Fact]
    public void coverage_of_four_in_five_may_lead()
    {
        Assert.True(Coverage.CanLead(Coverage.Of(4, 5)));
        Assert.False(Coverage.CanLead(Coverage.Of(3, 4)));
        Assert.Equal(1.0, Coverage.Of(0, 0));
    }

    [Fact]
    public void a_split_retires_its_source_and_its_parts_inherit_its_ratings_until_rated()
    {
        var revision = new HypothesesRevised("t", "finer", [new("soft", "Soft", null), new("hard", "Hard", null)], [], [new("genuine", ["soft", "hard"])]);

        var set = HypothesisRevision.Apply(Two, revision);
        var ratings = HypothesisRevision.Inherit(R("I", "C"), HypothesisRevision.Splits([revision]));
        var rated = HypothesisRevision.Inherit(new Dictionary<string, string> { ["genuine"] = "I", ["soft"] = "C" }, HypothesisRevision.Splits([revision]));

        Assert.Equal(["feigned", "soft", "hard"], set.Select(h => h.Id));
        Assert.Equal(("I", "I"), (ratings["soft"], ratings["hard"]));
        Assert.Equal(("C", "I"), (rated["soft"], rated["hard"]));
    }

    [Fact]
    public void retiring_a_hypothesis_removes_it_from_later_answers_and_leaves_earlier_ones_alone()
    {
        var three = new[] { Two[0], Two[1], new Hypothesis("noise", "Noise", null) };
        var world = NarrativeWorld.From([
            Event(1, new SourceRegistered("nyt", "NYT", "newspaper", "B", null)),
            Event(2, new TopicOpened("t", "T", new DateOnly(2024, 1, 1), new DateOnly(2024, 12, 31), three)),
            Event(3, new DocumentIngested("d", "nyt", new DateOnly(2024, 1, 5), "D", null, [], [], ["a"], "h")),
            Event(4, Recorded("a", null, new Dictionary<string, string> { ["genuine"] = "I", ["feigned"] = "C", ["noise"] = "C" })),
            Event(5, new HypothesesRevised("t", "noise is not a stance", [], ["noise"], [])),
        ]);
        var asOf = WorldQueries.EndOfDay(new DateOnly(2024, 1, 31));

        Assert.Equal(["feigned", "noise", "genuine"], WorldQueries.Assess(world, "t", asOf, At(4))!.Hypotheses.Select(h => h.Id));
        Assert.Equal(["feigned", "genuine"], WorldQueries.Assess(world, "t", asOf, At(5))!.Hypotheses.Select(h => h.Id));
        var changes = WorldQueries.Changes(world, "t", asOf, At(4), At(5))!;
        Assert.Equal((1, 0), (changes.Revisions.Count, changes.Rerated.Count));
        Assert.Equal(["noise"], changes.RetiredHypotheses);
    }

    [Fact]
    public void a_revision_that_would_leave_one_hypothesis_or_names_an_unknown_one_is_refused_by_field()
    {
        var current = new HashSet<string>(["genuine", "feigned"]);
        var tooFew = HypothesisRevisionValidator.Validate("t", new("r", null, ["feigned"], null), current);
        var unknown = HypothesisRevisionValidator.Validate("t", new("r", null, null, [new("nope", ["a", "b"])]), current);
        var empty = HypothesisRevisionValidator.Validate("t", new("r", null, null, null), current);

        Assert.Equal(ErrorCodes.TooFewHypotheses, Assert.Single(tooFew.Errors).Code);
        Assert.Equal("split[0].from", Assert.Single(unknown.Errors).Field);
        Assert.Equal(ErrorCodes.EmptyRevision, Assert.Single(empty.Errors).Code);
    }

    [Fact]
    public void rating_sensitivity_finds_the_cell_whose_one_step_move_changes_the_leader()
    {
        // genuine: one I (√2); feigned: one I at credibility 4 (1): feigned leads by 0.41.
        var items = new[] { Item("a", "signal", R("I", "C")), Item("b", "signal", R("C", "I"), credibility: 4) };
        var derived = items.ToDictionary(i => i.ItemId, _ => (string?)null);
        var origins = EvidenceOrigins.Build(Two, items, derived);

        var result = RatingSensitivity.Analyse(Two, items, derived, origins);

        // Cells: a/genuine I, a/feigned C, b/genuine C, b/feigned I: 4. Moving a/genuine I → N, or b/feigned I → II,
        // or a/feigned C → N? (no: N adds nothing) flips the leader to genuine.
        Assert.Equal(4, result.Cells);
        var flips = result.MostFragile.Where(c => c.Moves.Any(m => m.ChangesLeader)).Select(c => $"{c.ItemId}/{c.Hypothesis}").ToList();
        Assert.Contains("a/genuine", flips);
        Assert.Contains("b/feigned", flips);
        Assert.DoesNotContain("b/genuine", flips);
    }

    private static readonly SignpostSet Signpost = new("t", "recur", "feigned", "signals recur at the next decision", "present",
        new SignpostPattern(["signal"], [], []), new DateOnly(2024, 4, 25), new DateOnly(2024, 7, 1));

    private static ItemRecorded Published(string id, string type, DateOnly at, string source = "reuters", string? speaker = null) =>
        new(id, "d", source, at, "t", type, id, "s", null, null, null, 3, ImmutableSortedDictionary<string, string>.Empty, [], null, speaker);

    [Fact]
    public void an_item_of_the_listed_type_inside_the_window_matches_and_one_outside_does_not()
    {
        Assert.True(SignpostRules.Matches(Signpost, Published("a", "signal", new DateOnly(2024, 5, 24))));
        Assert.False(SignpostRules.Matches(Signpost, Published("b", "statement", new DateOnly(2024, 5, 24))));
        Assert.False(SignpostRules.Matches(Signpost, Published("c", "signal", new DateOnly(2024, 4, 24))));
        var bySpeaker = Signpost with { Match = new SignpostPattern([], [], ["kremlin"]) };
        Assert.True(SignpostRules.Matches(bySpeaker, Published("d", "statement", new DateOnly(2024, 5, 1), "nyt", "kremlin")));
    }

    [Fact]
    public void a_match_of_an_absent_signpost_is_a_failure_and_an_expiry_is_judged_by_world_time()
    {
        var absent = Signpost with { Expect = "absent" };
        var matched = Assert.IsType<SignpostMatched>(Assert.Single(SignpostRules.Decide(absent, false, false, Published("a", "signal", new DateOnly(2024, 5, 1)))));
        Assert.True(matched.Failed);

        // An item published on the deadline does not expire it; one published the day after does, whatever today is.
        Assert.Empty(SignpostRules.Decide(Signpost, false, false, Published("b", "report", new DateOnly(2024, 7, 1))));
        var expired = Assert.IsType<SignpostExpired>(Assert.Single(SignpostRules.Decide(Signpost, false, false, Published("c", "report", new DateOnly(2024, 7, 2)))));
        Assert.Equal((true, new DateOnly(2024, 7, 2)), (expired.Failed, expired.ObservedAt));
        Assert.Empty(SignpostRules.Decide(Signpost, true, false, Published("d", "report", new DateOnly(2024, 7, 2))));
        Assert.Null(SignpostRules.OnTimer(Signpost, false, false, new DateOnly(2024, 7, 1)));
        Assert.NotNull(SignpostRules.OnTimer(Signpost, false, false, new DateOnly(2024, 7, 2)));
    }

    [Fact]
    public void a_signposts_status_follows_world_and_system_time()
    {
        var world = NarrativeWorld.From([
            Event(1, new TopicOpened("t", "T", new DateOnly(2024, 1, 1), new DateOnly(2024, 12, 31), Two)),
            Event(2, Signpost),
            Event(3, new SignpostMatched("t", "recur", "a", "d", new DateOnly(2024, 5, 24), false)),
        ]);

        var before = SignpostRules.StatusAt(world, "t", WorldQueries.EndOfDay(new DateOnly(2024, 5, 23)), At(3))!.Signposts.Single();
        var after = SignpostRules.StatusAt(world, "t", WorldQueries.EndOfDay(new DateOnly(2024, 5, 24)), At(3))!.Signposts.Single();
        var earlier = SignpostRules.StatusAt(world, "t", WorldQueries.EndOfDay(new DateOnly(2024, 5, 24)), At(2))!.Signposts.Single();

        Assert.Equal(("open", null), (before.Status, before.Outcome));
        Assert.Equal(("matched", "borne-out"), (after.Status, after.Outcome));
        Assert.Equal("open", earlier.Status);
    }

    private static ItemRecorded Recorded(string id, string? speaker, IReadOnlyDictionary<string, string> ratings) =>
        new(id, "d", "nyt", new DateOnly(2024, 1, 5), "t", "statement", id, "s", null, null, null, 2, ratings, [], null, speaker);

    private static readonly DateTimeOffset T0 = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    private static DateTimeOffset At(int position) => T0.AddMinutes(position);

    private static RecordedEvent Event(int position, object data) => new(position, "s", data, At(position));

    private static double Score(AchScore s, string id) => Math.Round(s.Hypotheses.Single(h => h.Id == id).WeightedInconsistency, 9);

    private static double Weight(AssessmentResult a, string item) => Math.Round(a.Evidence.Single(e => e.ItemId == item).Weight, 6);
}
