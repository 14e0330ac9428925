using Narrative.Domain.Coincidence;
using Narrative.Domain.Corpus;
using Narrative.Domain.Replay;
using Narrative.Domain.Timeline;

namespace Narrative.Domain.Tests.Replay;

public class ReplayTests
{
    private const string T = "ceasefire";

    private static DateOnly D(int year, int month, int day) => new(year, month, day);

    private static DateTimeOffset EndOf(int year, int month, int day) => WorldQueries.EndOfDay(D(year, month, day));

    private static Dictionary<string, string> R(string genuine, string feigned) => new() { ["genuine"] = genuine, ["feigned"] = feigned };

    /// <summary>
    /// nyt (B) 23 Dec: signal "openness", feigned I, cred 3 → feigned += √2.
    /// moscow-times (C) 24 Dec cites nyt-1: re-report of "openness" rated II/II, never scored while nyt-1-a stands.
    /// wire (C) 25 Dec cites nyt-1, carries another claim; blog (C) 26 Dec cites only wire-1: "openness" again, derivative through wire-1.
    /// isw (A) 10 Jan: report, genuine II, cred 2 → genuine += 2 × √2 × √2 = 4 (a report, not a judgment: judgments are not scored by default).
    /// tass (E) 15 Jan: rebuttal of nyt-1-a, genuine I, cred 4 → genuine += 1 × (1/√2)² = 0.5.
    /// </summary>
    private static Scenario Build() => new Scenario()
        .Source("nyt", "B").Source("moscow-times", "C").Source("wire", "C").Source("blog", "C").Source("isw", "A").Source("tass", "E")
        .Topic(T, D(2023, 12, 1), D(2024, 5, 31), "genuine", "feigned")
        .Context("us-aid", "aid-debate", D(2023, 12, 15), D(2024, 1, 31), D(2024, 2, 13))
        .Context("election", "election", D(2023, 12, 1), D(2024, 5, 31), null)
        .Document("nyt-1", "nyt", D(2023, 12, 23), [], new Item("nyt-1-a", T, "signal", "openness", 3, R("C", "I")))
        .Document("mt-1", "moscow-times", D(2023, 12, 24), ["nyt-1"], new Item("mt-1-a", T, "signal", "openness", 3, R("II", "II")))
        .Document("wire-1", "wire", D(2023, 12, 25), ["nyt-1"], new Item("wire-1-a", T, "report", "kremlin-silence", 3, R("N", "N")))
        .Document("blog-1", "blog", D(2023, 12, 26), ["wire-1"], new Item("blog-1-a", T, "signal", "openness", 6, R("C", "C")))
        .Document("isw-1", "isw", D(2024, 1, 10), [], new Item("isw-1-a", T, "report", null, 2, R("II", "C")))
        .Document("tass-1", "tass", D(2024, 1, 15), [], new Item("tass-1-a", T, "rebuttal", null, 4, R("I", "N"), ["nyt-1-a"]));

    [Fact]
    public void claim_is_scored_once_even_when_re_reported()
    {
        var s = Build();
        var a = WorldQueries.Assess(s.World, T, EndOf(2023, 12, 31), s.Now)!;

        var genuine = a.Hypotheses.Single(h => h.Id == "genuine");
        var feigned = a.Hypotheses.Single(h => h.Id == "feigned");
        Assert.Equal((0.0, 0.0), (genuine.Inconsistency, genuine.WeightedInconsistency));
        Assert.Equal(1.0, feigned.Inconsistency);
        Assert.Equal(Math.Sqrt(2), feigned.WeightedInconsistency, 12);
        Assert.Equal("genuine", a.Leading);
        Assert.Equal(["nyt-1-a", "mt-1-a", "wire-1-a", "blog-1-a"], a.Evidence.Select(e => e.ItemId));
        Assert.Equal([true, false, true, false], a.Evidence.Select(e => e.Scored));
        Assert.Equal([false, true, false, true], a.Evidence.Select(e => e.Derivative));
        // One informative origin (nyt-1; wire-1 tells nothing apart): feigned's log-odds −ln 2 (one I at weight √2),
        // so p(genuine) = 0.95 × 1/(1 + 1/2) + 0.05/2 = 0.658, "likely"; the re-reports add nothing.
        Assert.Equal(0.95 / 1.5 + 0.025, a.Probability!.Value, 12);
        Assert.Equal("likely", a.Likelihood);
        Assert.Equal((1, 1), (a.Basis.Origins, a.Basis.Sources));
        Assert.Equal(["nyt-1"], a.Basis.OriginIds);
        // Without nyt-1 (and its re-reports) no claim tells the hypotheses apart: one origin carries the lead.
        Assert.Equal((1, true, false), (a.Basis.FlipSet, a.Basis.FlipSetExact, a.Basis.Robust));
    }

    [Fact]
    public void assessment_carries_source_reliability_diagnosticity_and_contest()
    {
        var s = Build();
        var a = WorldQueries.Assess(s.World, T, EndOf(2024, 1, 31), s.Now)!;

        var nyt = a.Evidence.Single(e => e.ItemId == "nyt-1-a");
        Assert.Equal(("nyt", "B", 3, 2.0), (nyt.Source, nyt.Reliability, nyt.Credibility, nyt.Diagnosticity));
        Assert.True(nyt.Contested);
        Assert.Equal(["tass-1-a"], nyt.ContestedBy);
        Assert.False(a.Evidence.Single(e => e.ItemId == "isw-1-a").Contested);
        Assert.Equal(4.5, a.Hypotheses.Single(h => h.Id == "genuine").WeightedInconsistency, 12);
        Assert.Equal("feigned", a.Leading);

        var before = WorldQueries.Assess(s.World, T, EndOf(2024, 1, 14), s.Now)!;
        Assert.False(before.Evidence.Single(e => e.ItemId == "nyt-1-a").Contested);
    }

    [Fact]
    public void without_evidence_nothing_leads_and_the_likelihood_is_undetermined()
    {
        var s = Build();
        var a = WorldQueries.Assess(s.World, T, EndOf(2023, 12, 1), s.Now)!;
        Assert.Empty(a.Evidence);
        Assert.Null(a.Leading);
        Assert.Equal([1, 2], a.Hypotheses.Select(h => h.Rank));
        Assert.Null(a.Probability);
        Assert.Equal("undetermined", a.Likelihood);
        Assert.Equal("low", a.Confidence);
        Assert.Equal((0, null), (a.Basis.Origins, a.Basis.FlipSet));
        var sensitivity = WorldQueries.Sensitivity(s.World, T, EndOf(2023, 12, 1), s.Now)!;
        Assert.Equal((null, null), (sensitivity.Leading, sensitivity.FlipSet));
        Assert.Empty(sensitivity.Claims);
    }

    [Fact]
    public void items_recorded_after_known_at_are_invisible()
    {
        var s = Build();
        var knownBeforeIsw = s.Events.Single(e => e.Data is DocumentIngested { DocumentId: "isw-1" }).RecordedAt.AddMinutes(-1);
        var a = WorldQueries.Assess(s.World, T, EndOf(2024, 1, 31), knownBeforeIsw)!;
        Assert.DoesNotContain(a.Evidence, e => e.ItemId is "isw-1-a" or "tass-1-a");
        Assert.Equal("genuine", a.Leading);
        Assert.True(a.Position < s.Events.Single(e => e.Data is DocumentIngested { DocumentId: "isw-1" }).Position);
    }

    [Fact]
    public void re_rating_changes_answers_only_for_known_at_after_it()
    {
        var s = Build();
        var before = s.Now;
        var correction = s.Rerate("isw-1-a", "isw-1", T, R("N", "N"), 3);
        var world = s.World;

        var old = WorldQueries.Assess(world, T, EndOf(2024, 1, 31), before)!;
        var now = WorldQueries.Assess(world, T, EndOf(2024, 1, 31), correction.RecordedAt)!;

        Assert.Equal("feigned", old.Leading);
        Assert.Equal(2, old.Evidence.Single(e => e.ItemId == "isw-1-a").Credibility);
        Assert.Equal("genuine", now.Leading);
        Assert.Equal(0.5, now.Hypotheses.Single(h => h.Id == "genuine").WeightedInconsistency, 12);
        Assert.Equal(("N", 3), (now.Evidence.Single(e => e.ItemId == "isw-1-a").Ratings["genuine"], now.Evidence.Single(e => e.ItemId == "isw-1-a").Credibility));
        Assert.Equal(correction.Position, now.Position);
        Assert.Contains(correction.Position, now.EventPositions);
        Assert.DoesNotContain(correction.Position, old.EventPositions);
    }

    [Fact]
    public void retraction_drops_the_item_and_the_next_appearance_becomes_first()
    {
        var s = Build();
        var before = s.Now;
        s.Retract("nyt-1-a", "nyt-1", T);
        var world = s.World;

        var after = WorldQueries.Assess(world, T, EndOf(2023, 12, 31), s.Now)!;
        Assert.DoesNotContain(after.Evidence, e => e.ItemId == "nyt-1-a");
        var mt = after.Evidence.Single(e => e.ItemId == "mt-1-a");
        Assert.True(mt.Scored);
        // With the origin retracted, the re-report no longer derives from anything visible.
        Assert.False(mt.Derivative);
        Assert.Equal(2.0, after.Hypotheses.Single(h => h.Id == "genuine").WeightedInconsistency, 12);

        var earlier = WorldQueries.Assess(world, T, EndOf(2023, 12, 31), before)!;
        Assert.Contains(earlier.Evidence, e => e.ItemId == "nyt-1-a" && e.Scored);
    }

    [Fact]
    public void provenance_follows_cites_transitively_to_the_nearest_carrier()
    {
        var s = Build();
        var p = WorldQueries.Provenance(s.World, "openness", EndOf(2024, 1, 31), s.Now);

        Assert.Equal(1, p.IndependentOrigins);
        Assert.Equal("nyt-1-a", p.FirstAppearance!.ItemId);
        Assert.Equal(
            [("nyt-1-a", false, null), ("mt-1-a", true, "nyt-1"), ("blog-1-a", true, "nyt-1")],
            p.Appearances.Select(a => (a.ItemId, a.Derivative, a.DerivedFrom)));
    }

    [Fact]
    public void provenance_respects_as_of()
    {
        var s = Build();
        var p = WorldQueries.Provenance(s.World, "openness", EndOf(2023, 12, 24), s.Now);
        Assert.Equal(["nyt-1-a", "mt-1-a"], p.Appearances.Select(a => a.ItemId));
        Assert.Empty(WorldQueries.Provenance(s.World, "openness", EndOf(2023, 12, 22), s.Now).Appearances);
    }

    [Fact]
    public void coincidence_counts_only_independent_signals()
    {
        // Signals: nyt-1-a (independent), mt-1-a and blog-1-a (derivative): n = 1, inside us-aid: k = 1.
        // Range 1 Dec – 31 Jan = 62 days; us-aid covers 15 Dec – 31 Jan = 48 days; the election window is not an aid debate.
        // daysToDecision = 13 Feb − 23 Dec = 52.
        var s = Build();
        var c = WorldQueries.Coincidence(s.World, T, EndOf(2024, 1, 31), s.Now)!;

        Assert.Equal((1, 1), (c.N, c.K));
        Assert.Equal(48.0 / 62, c.Coverage, 12);
        Assert.Equal(62.0 / 48, c.Lift!.Value, 12);
        Assert.Equal(48.0 / 62, c.PValue, 12);
        var signal = Assert.Single(c.Signals);
        Assert.Equal(("nyt-1-a", true, 52), (signal.ItemId, signal.Inside, signal.DaysToDecision));
        Assert.Equal(["us-aid"], signal.Periods);
    }

    [Fact]
    public void timeline_marks_changes_of_leading_hypothesis_with_their_causes()
    {
        var s = Build();
        var t = WorldQueries.Timeline(s.World, T, D(2023, 12, 17), D(2024, 1, 21), TimelineStep.Week, s.Now)!;

        Assert.Equal("week", t.Step);
        Assert.Equal(
            [D(2023, 12, 17), D(2023, 12, 24), D(2023, 12, 31), D(2024, 1, 7), D(2024, 1, 14), D(2024, 1, 21)],
            t.Points.Select(p => p.At));
        Assert.Equal([null, "genuine", "genuine", "genuine", "feigned", "feigned"], t.Points.Select(p => p.Leading));
        Assert.Equal([null, 1, 1, 1, 1, 1], t.Points.Select(p => p.Robustness));
        Assert.Equal([false, true, false, false, true, false], t.Points.Select(p => p.Changed));
        // mt-1-a (24 Dec) re-reports a scored claim and blog/wire items carry no inconsistency: not causes.
        Assert.Equal(["nyt-1-a"], t.Points[1].Causes);
        Assert.Empty(t.Points[2].Causes);
        Assert.Equal(["isw-1-a"], t.Points[4].Causes);
        Assert.Equal(["tass-1-a"], t.Points[5].Causes);
        Assert.Equal(4.5, t.Points[5].Scores["genuine"], 12);
    }

    [Fact]
    public void daily_timeline_has_one_point_per_day()
    {
        var s = Build();
        var t = WorldQueries.Timeline(s.World, T, D(2024, 1, 9), D(2024, 1, 11), TimelineStep.Day, s.Now)!;
        Assert.Equal([false, true, false], t.Points.Select(p => p.Changed));
        Assert.Equal(["isw-1-a"], t.Points[1].Causes);
    }

    [Fact]
    public void every_timeline_point_is_the_assessment_of_its_date_at_every_system_time()
    {
        // The timeline walks the items once; the assessment scores each date from scratch. They must agree on the
        // leading hypothesis and (to the last bit) on the scores, and the causes must be the newly scored items that
        // carry any inconsistency. Checked at every system time of a history with a re-rating, a retraction, a late
        // document and a same-day re-report.
        var s = Build();
        var marks = new List<DateTimeOffset> { s.Now };
        s.Rerate("isw-1-a", "isw-1", T, R("N", "N"), null);
        marks.Add(s.Now);
        s.Document("late-1", "nyt", D(2024, 1, 5), [], new Item("late-1-a", T, "statement", null, 3, R("N", "I")));
        s.Document("late-2", "wire", D(2024, 1, 5), [], new Item("late-2-a", T, "report", "openness", 1, R("II", "C")));
        marks.Add(s.Now);
        s.Retract("nyt-1-a", "nyt-1", T);
        marks.Add(s.Now);
        foreach (var knownAt in marks)
        {
            foreach (var step in new[] { TimelineStep.Day, TimelineStep.Week })
            {
                var t = WorldQueries.Timeline(s.World, T, D(2023, 12, 1), D(2024, 2, 1), step, knownAt)!;
                var days = step == TimelineStep.Week ? 7 : 1;
                var previous = WorldQueries.Assess(s.World, T, WorldQueries.EndOfDay(D(2023, 12, 1).AddDays(-days)), knownAt)!;
                Assert.NotEmpty(t.Points);
                foreach (var point in t.Points)
                {
                    var a = WorldQueries.Assess(s.World, T, WorldQueries.EndOfDay(point.At), knownAt)!;
                    var at = $"{point.At} known at {knownAt:O}";
                    Assert.True(a.Leading == point.Leading, at);
                    Assert.True(a.Basis.FlipSet == point.Robustness && (a.Leading is null || a.Basis.FlipSetExact == point.RobustnessExact), at);
                    Assert.True(a.Likelihood == point.Likelihood && a.Probability == point.Probability, $"{at}: {point.Likelihood} {point.Probability}");
                    Assert.Equal(a.Hypotheses.ToDictionary(h => h.Id, h => h.WeightedInconsistency), point.Scores);
                    var scoredBefore = previous.Evidence.Where(e => e.Scored).Select(e => e.ItemId).ToHashSet();
                    var causes = a.Evidence
                        .Where(e => e.Scored && !scoredBefore.Contains(e.ItemId) && e.Ratings.Values.Any(r => r is "I" or "II"))
                        .Select(e => e.ItemId);
                    Assert.True(causes.SequenceEqual(point.Causes), $"{at}: {string.Join(",", point.Causes)}");
                    previous = a;
                }
            }
        }
    }

    [Fact]
    public void world_time_changes_list_evidence_published_in_between_and_score_deltas()
    {
        var s = Build();
        var c = WorldQueries.Changes(s.World, T, D(2023, 12, 31), D(2024, 1, 20), s.Now)!;

        Assert.Equal(["isw-1-a", "tass-1-a"], c.Added.Select(a => a.ItemId));
        Assert.Empty(c.Retracted);
        Assert.Empty(c.Rerated);
        var genuine = c.Scores.Single(x => x.Hypothesis == "genuine");
        Assert.Equal((0.0, 4.5), (genuine.WeightedBefore, Math.Round(genuine.WeightedAfter, 12)));
        Assert.Equal(4.5, genuine.Delta, 12);
        Assert.Equal(0, c.Scores.Single(x => x.Hypothesis == "feigned").Delta);
        Assert.Equal(("genuine", "feigned"), (c.LeadingBefore, c.LeadingAfter));
    }

    [Fact]
    public void system_time_changes_list_re_ratings_and_retractions()
    {
        var s = Build();
        var knownFrom = s.Now;
        s.Rerate("isw-1-a", "isw-1", T, R("N", "N"), null);
        s.Retract("nyt-1-a", "nyt-1", T);
        s.Document("late-1", "nyt", D(2024, 1, 5), [], new Item("late-1-a", T, "statement", null, 3, R("N", "I")));

        var c = WorldQueries.Changes(s.World, T, EndOf(2024, 1, 31), knownFrom, s.Now)!;

        Assert.Equal(["late-1-a"], c.Added.Select(a => a.ItemId));
        Assert.Equal(["nyt-1-a"], c.Retracted.Select(a => a.ItemId));
        var rerated = Assert.Single(c.Rerated);
        Assert.Equal(("isw-1-a", "II", "N", 2, 2), (rerated.ItemId, rerated.RatingsBefore["genuine"], rerated.RatingsAfter["genuine"], rerated.CredibilityBefore, rerated.CredibilityAfter));
        // Before: genuine 4.5, feigned √2 (nyt) . After: mt-1-a now first for "openness" (II/II, w 1): genuine 2 + 0.5, feigned 2 + √2 (late-1-a).
        var genuine = c.Scores.Single(x => x.Hypothesis == "genuine");
        Assert.Equal(-2.0, genuine.Delta, 12);
        Assert.Equal(2.0, c.Scores.Single(x => x.Hypothesis == "feigned").Delta, 12);
        Assert.Equal(("feigned", "genuine"), (c.LeadingBefore, c.LeadingAfter));
    }

    [Fact]
    public void replaying_validated_events_gives_the_same_known_references_the_validator_needs()
    {
        var s = Build();
        var known = s.World.ToKnownReferences();
        var doc = new DocumentInput("kyiv-1", "nyt", "2024-02-01", "Title", null, null, ["isw-1"],
            [new ItemInput("kyiv-1-a", T, "rebuttal", null, "Denial", null, null, null, 3, R("C", "N"), ["isw-1-a"], null)]);

        var result = DocumentValidator.Validate(doc, known, D(2024, 6, 1), 10);
        Assert.True(result.IsValid, string.Join("; ", result.Errors));
        foreach (var e in result.Value!.Events)
        {
            s.Append("document-kyiv-1", e);
        }

        var a = WorldQueries.Assess(s.World, T, EndOf(2024, 2, 1), s.Now)!;
        Assert.Contains(a.Evidence, e => e.ItemId == "isw-1-a" && e.Contested);
        Assert.Contains(DocumentValidator.Validate(doc with { Id = "kyiv-2" }, s.World.ToKnownReferences(), D(2024, 6, 1), 10).Errors,
            e => e is { Field: "items[0].id", Code: "item_exists" });
    }

    [Fact]
    public void folding_is_order_independent_of_input_order_but_follows_positions()
    {
        var s = Build();
        var shuffled = NarrativeWorld.From(s.Events.Reverse());
        var a = WorldQueries.Assess(shuffled, T, EndOf(2024, 1, 31), s.Now)!;
        var b = WorldQueries.Assess(s.World, T, EndOf(2024, 1, 31), s.Now)!;
        Assert.Equal(b.Hypotheses, a.Hypotheses);
        Assert.Equal(s.Events[^1].Position, shuffled.LastPosition);
    }

    [Fact]
    public void unknown_topic_has_no_assessment()
    {
        var s = Build();
        Assert.Null(WorldQueries.Assess(s.World, "elections", EndOf(2024, 1, 31), s.Now));
        Assert.Null(WorldQueries.Assess(s.World, T, EndOf(2024, 1, 31), Scenario.Start));
        Assert.Null(WorldQueries.Coincidence(s.World, "elections", EndOf(2024, 1, 31), s.Now));
    }
}
