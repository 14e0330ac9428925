namespace Narrative.Benchmarks.Harness;

public enum Side { Raw, Ours }

/// <summary>Whether a bigger number is better (throughput) or a smaller one (latency).</summary>
public enum Direction { HigherIsBetter, LowerIsBetter }

/// <summary>
/// One row of the report: the same work done by our code and by raw Npgsql, measured in the same run.
/// The runner calls <see cref="SetupAsync"/> and <see cref="WarmUpAsync"/> once, then, per repetition,
/// <see cref="ResetAsync"/> (untimed) followed by the raw run and the same pair for ours.
/// A run measures only its work and returns one number in <see cref="Unit"/>.
/// </summary>
public abstract class Scenario
{
    public abstract string Name { get; }
    public abstract string Unit { get; }
    public virtual Direction Direction => Direction.HigherIsBetter;

    /// <summary>The minimum acceptable <see cref="ScenarioResult.Ratio"/>, or null when the row only informs.</summary>
    public virtual double? Target => null;

    /// <summary>An absolute ceiling on our value (latency rows: "≤ 20 ms"), or null.</summary>
    public virtual double? Limit => null;

    /// <summary>A one-line description of the work, printed under the table.</summary>
    public abstract string Describe(BenchOptions options);

    public virtual Task SetupAsync(BenchContext ctx, CancellationToken ct) => Task.CompletedTask;

    /// <summary>A small run of both sides, so JIT, connection pools and caches are warm before the first timed run.</summary>
    public virtual Task WarmUpAsync(BenchContext ctx, CancellationToken ct) => Task.CompletedTask;

    /// <summary>Puts the database into the same starting state for the next run of <paramref name="side"/>. Not timed.</summary>
    public virtual Task ResetAsync(BenchContext ctx, Side side, CancellationToken ct) => Task.CompletedTask;

    public abstract Task<double> RunOursAsync(BenchContext ctx, CancellationToken ct);

    public abstract Task<double> RunRawAsync(BenchContext ctx, CancellationToken ct);
}

/// <summary>
/// Medians over the repetitions. <see cref="Ratio"/> is oriented so that 1.0 means "as good as raw" and higher is
/// better in both directions: ours ÷ raw for throughputs, raw ÷ ours for latencies.
/// </summary>
public sealed record ScenarioResult(string Name, string Unit, double Value, double BaselineValue, double? Ratio,
    double? Target, Direction Direction, IReadOnlyList<double> OursRuns, IReadOnlyList<double> RawRuns, double? Limit = null)
{
    public bool? MeetsTarget => Limit is { } l ? Value <= l : Target is { } t && Ratio is { } r ? r >= t : null;

    public static double? RatioOf(double ours, double raw, Direction direction) => direction switch
    {
        Direction.HigherIsBetter => raw > 0 ? ours / raw : null,
        _ => ours > 0 ? raw / ours : null,
    };
}
