using Narrative.Domain.Coincidence;
using Narrative.Domain.Corpus;
using Narrative.Domain.Timing;

namespace Narrative.Domain.Tests.Timing;

public class TimingTestTests
{
    private static DateOnly Jan(int day) => new(2024, 1, day);

    private static readonly SignalCandidate[] Signals4 =
        [new("s1", "d1", Jan(2)), new("s2", "d2", Jan(8)), new("s3", "d3", Jan(20)), new("s4", "d4", Jan(28))];

    private static ContextPeriodRecorded Milestone(string id, DateOnly at) => new(id, id, TimingTest.MilestoneCategory, at, at, null);

    private static TimingResult Compute(IEnumerable<SignalCandidate> signals, IEnumerable<ContextPeriodRecorded> periods, int window,
        DateOnly? asOf = null) =>
        TimingTest.Compute("t", Jan(1), Jan(31), default, asOf ?? Jan(31), signals, periods, window);

    [Fact]
    public void without_milestones_no_signal_has_a_distance_and_the_test_says_so()
    {
        var r = Compute([new("s", "d", Jan(4))], [new("w", "Debate", "aid-debate", Jan(1), Jan(9), null)], 14);

        Assert.Equal((1, 0, 0.0, 1.0), (r.N, r.T, r.Q, r.PValue));
        Assert.Null(r.Signals[0].NextMilestone);
        Assert.Null(r.Signals[0].DaysToMilestone);
        Assert.Empty(r.Milestones);
        Assert.Contains("No aid decision", r.Reading, StringComparison.Ordinal);
    }

    [Fact]
    public void a_milestone_on_the_signals_own_day_is_distance_zero()
    {
        var r = Compute([new("s", "d", Jan(10))], [Milestone("m", Jan(10))], 0);

        Assert.Equal("m", r.Signals[0].NextMilestone);
        Assert.Equal(0, r.Signals[0].DaysToMilestone);
        // W = 0: only the milestone's own day counts, 1 of 31 days.
        Assert.Equal(1, r.T);
        Assert.Equal(1.0 / 31, r.Q, 12);
    }

    [Fact]
    public void a_milestone_after_asOf_is_ignored()
    {
        var r = Compute([new("s", "d", Jan(10))], [Milestone("later", Jan(20))], 14, asOf: Jan(15));

        Assert.Empty(r.Milestones);
        Assert.Null(r.Signals[0].DaysToMilestone);
        Assert.Equal(0, r.T);
    }

    [Fact]
    public void aid_debate_decisions_are_milestones_and_other_categories_are_not()
    {
        var periods = new ContextPeriodRecorded[]
        {
            new("debate", "Debate", "aid-debate", Jan(1), Jan(12), Jan(12)),
            new("open-debate", "Open debate", "aid-debate", Jan(1), Jan(31), null),
            new("offensive", "Offensive", "offensive", Jan(5), Jan(5), Jan(5)),
            Milestone("vote", Jan(3)),
        };

        Assert.Equal(["vote", "debate"], TimingTest.Milestones(periods).Select(m => m.Id));
        Assert.Equal([Jan(3), Jan(12)], TimingTest.Milestones(periods).Select(m => m.At));
    }

    [Fact]
    public void overlapping_windows_count_each_day_once()
    {
        // Milestones Jan 10 and Jan 15, W = 7. Next milestone within 7 days: Jan 3–10 (8 days, next is Jan 10) and
        // Jan 11–15 (5 days, next is Jan 15); Jan 1–2 are 9 and 8 days away; after Jan 15 there is none. q = 13/31.
        var r = Compute([], [Milestone("a", Jan(10)), Milestone("b", Jan(15))], 7);

        Assert.Equal(13.0 / 31, r.Q, 12);
    }

    [Fact]
    public void hand_computed_case_matches()
    {
        // Milestones Jan 10 and Jan 25. Signals Jan 2 (8 days to Jan 10), Jan 8 (2 days), Jan 20 (5 days to Jan 25), Jan 28 (none).
        // W = 7: T = 2. Days within 7 of a next milestone: Jan 3–10 (8) + Jan 18–25 (8) = 16 of 31.
        // p = P(X ≥ 2 | n = 4, q = 16/31).
        var r = Compute(Signals4, [Milestone("m1", Jan(10)), Milestone("m2", Jan(25))], 7);

        var q = 16.0 / 31;
        Assert.Equal((4, 2), (r.N, r.T));
        Assert.Equal(q, r.Q, 12);
        var expected = 1 - Math.Pow(1 - q, 4) - (4 * q * Math.Pow(1 - q, 3));
        Assert.Equal(expected, r.PValue, 12);
        Assert.Equal([8, 2, 5, null], r.Signals.Select(s => s.DaysToMilestone));
        Assert.Equal(["m1", "m1", "m2", null], r.Signals.Select(s => s.NextMilestone));
    }

    [Fact]
    public void the_three_reported_windows_and_their_bonferroni_adjusted_minimum()
    {
        var r = Compute(Signals4, [Milestone("m1", Jan(10)), Milestone("m2", Jan(25))], 14);

        Assert.Equal([7, 14, 30], r.Windows.Select(w => w.Window));
        Assert.Equal(r.T, r.Windows.Single(w => w.Window == 14).T);
        Assert.Equal(Math.Min(1, 3 * r.Windows.Min(w => w.PValue)), r.MinPAdjusted, 12);
    }

    [Fact]
    public void no_signals_give_n_zero_p_one_and_no_power()
    {
        var r = Compute([], [Milestone("m", Jan(10))], 14);

        Assert.Equal((0, 0, 1.0, 0.0), (r.N, r.T, r.PValue, r.Power));
        Assert.Contains("no independent signals", r.Reading, StringComparison.Ordinal);
    }

    [Fact]
    public void power_is_the_chance_of_a_significant_result_when_signals_come_twice_as_often_as_chance()
    {
        // n = 3, q = 0.1: P(X ≥ 1) = 0.271, P(X ≥ 2) = 0.028 < 0.05, so T* = 2.
        // Power = P(X ≥ 2 | n = 3, 0.2) = 3·0.04·0.8 + 0.008 = 0.104.
        Assert.Equal(2, TimingTest.SmallestSignificantT(3, 0.1));
        Assert.Equal(0.104, TimingTest.Power(3, 0.1), 12);
    }

    [Fact]
    public void too_few_signals_have_no_power_and_the_reading_says_the_test_cannot_show_timing()
    {
        // n = 3, q = 0.5: even T = 3 gives p = 0.125.
        Assert.Null(TimingTest.SmallestSignificantT(3, 0.5));
        Assert.Equal(0, TimingTest.Power(3, 0.5));
        var reading = TimingTest.Reading(3, 1, new TimingWindow(14, 3, 0.5, 0.125), 0);
        Assert.Contains("cannot show timing", reading, StringComparison.Ordinal);
    }


    [Fact]
    public void an_aid_milestone_must_be_a_single_day()
    {
        Assert.Empty(ContextPeriodValidator.Validate(new ContextPeriodInput("vote", "House vote", "aid-milestone", "2024-04-20", "2024-04-20", null)).Errors);
        var errors = ContextPeriodValidator.Validate(new ContextPeriodInput("vote", "House vote", "aid-milestone", "2024-04-20", "2024-04-21", null)).Errors;
        Assert.Contains(errors, e => e.Field == "end" && e.Code == ErrorCodes.MilestoneSpan);
    }
}
