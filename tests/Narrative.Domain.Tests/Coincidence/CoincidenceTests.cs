using Narrative.Domain.Coincidence;

namespace Narrative.Domain.Tests.Coincidence;

public class CoincidenceTests
{
    private static DateOnly Jan(int day) => new(2024, 1, day);

    private static readonly ContextPeriodRecorded[] Periods =
    [
        new("w1", "Debate one", "aid-debate", Jan(3), Jan(5), Jan(8)),
        new("w2", "Debate two", "aid-debate", Jan(5), Jan(6), null),
        new("offensive", "Offensive", "offensive", Jan(1), Jan(31), null),
    ];

    private static readonly SignalCandidate[] Signals =
    [
        new("s-out", "d1", Jan(2)),
        new("s-in", "d2", Jan(4)),
        new("s-both", "d3", Jan(5)),
        new("s-late", "d4", Jan(20)),
    ];

    [Fact]
    public void hand_computed_case_matches()
    {
        // Period Jan 1–10 (10 days). Aid-debate union: Jan 3–5 ∪ Jan 5–6 = Jan 3–6, 4 days; the offensive is ignored.
        // coverage = 4/10 = 0.4. Signals in the period: Jan 2 (out), Jan 4 (in), Jan 5 (in): n = 3, k = 2 (Jan 20 is after the period).
        // lift = (2/3) / 0.4 = 1.6667. p = P(X ≥ 2 | n = 3, p = 0.4) = 3·0.4²·0.6 + 0.4³ = 0.288 + 0.064 = 0.352.
        var r = CoincidenceAnalysis.Compute("t", Jan(1), Jan(10), default, Jan(31), Signals, Periods);

        Assert.Equal((3, 2), (r.N, r.K));
        Assert.Equal(0.4, r.Coverage, 12);
        Assert.Equal(2.0 / 3 / 0.4, r.Lift!.Value, 12);
        Assert.Equal(0.352, r.PValue, 12);
        Assert.Equal(["s-out", "s-in", "s-both"], r.Signals.Select(s => s.ItemId));
        Assert.Equal([false, true, true], r.Signals.Select(s => s.Inside));
        Assert.Equal(["w1", "w2"], r.Signals[2].Periods);
        // Decision of the first containing window by start (w1, Jan 8): 4 and 3 days; none outside.
        Assert.Equal([null, 4, 3], r.Signals.Select(s => s.DaysToDecision));
    }

    [Fact]
    public void as_of_truncates_both_the_signals_and_the_coverage_range()
    {
        // Range Jan 1–4 (4 days), covered Jan 3–4: coverage 0.5. Signals Jan 2 and Jan 4: n = 2, k = 1; P(X ≥ 1) = 1 − 0.5² = 0.75.
        var r = CoincidenceAnalysis.Compute("t", Jan(1), Jan(10), default, Jan(4), Signals, Periods);
        Assert.Equal((2, 1), (r.N, r.K));
        Assert.Equal(0.5, r.Coverage, 12);
        Assert.Equal(1.0, r.Lift!.Value, 12);
        Assert.Equal(0.75, r.PValue, 12);
    }

    [Fact]
    public void no_signals_gives_null_lift_and_p_value_one()
    {
        var r = CoincidenceAnalysis.Compute("t", Jan(1), Jan(10), default, Jan(31), [], Periods);
        Assert.Equal(0, r.N);
        Assert.Null(r.Lift);
        Assert.Equal(1.0, r.PValue);
    }

    [Fact]
    public void no_aid_debate_windows_gives_zero_coverage_and_null_lift()
    {
        var r = CoincidenceAnalysis.Compute("t", Jan(1), Jan(10), default, Jan(31), Signals, [Periods[2]]);
        Assert.Equal((3, 0), (r.N, r.K));
        Assert.Equal(0, r.Coverage);
        Assert.Null(r.Lift);
        Assert.Equal(1.0, r.PValue);
        Assert.All(r.Signals, s => Assert.Empty(s.Periods));
    }

    [Fact]
    public void window_ends_are_inclusive()
    {
        var r = CoincidenceAnalysis.Compute("t", Jan(1), Jan(10), default, Jan(31),
            [new SignalCandidate("first-day", "d", Jan(3)), new SignalCandidate("last-day", "d", Jan(6)), new SignalCandidate("after", "d", Jan(7))], Periods);
        Assert.Equal([true, true, false], r.Signals.Select(s => s.Inside));
    }

    [Theory]
    [InlineData(5, 5, 0.5, 1.0 / 32)]
    [InlineData(4, 0, 0.3, 1.0)]
    [InlineData(3, 4, 0.3, 0.0)]
    [InlineData(2, 1, 0.0, 0.0)]
    [InlineData(2, 2, 1.0, 1.0)]
    [InlineData(3, 1, 0.2, 0.488)]
    public void binomial_upper_tail_is_exact(int n, int k, double p, double expected) =>
        Assert.Equal(expected, CoincidenceAnalysis.BinomialUpperTail(n, k, p), 12);

    [Fact]
    public void binomial_upper_tail_is_stable_for_large_n() =>
        Assert.Equal(0.5, CoincidenceAnalysis.BinomialUpperTail(2001, 1001, 0.5), 9);
}
