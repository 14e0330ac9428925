using System.Globalization;

namespace Narrative.Benchmarks.Harness;

/// <summary>
/// Runs each scenario's raw and ours sides alternately (raw, ours, raw, ours, ...) from the same starting state,
/// and reports the median of each side.
/// </summary>
public static class Runner
{
    public static async Task<IReadOnlyList<ScenarioResult>> RunAsync(BenchContext ctx, IEnumerable<Scenario> scenarios, CancellationToken ct)
    {
        var results = new List<ScenarioResult>();
        foreach (var s in scenarios.Where(s => ctx.Options.Includes(s.Name)))
        {
            Console.WriteLine($"==> {s.Name}: {s.Describe(ctx.Options)}");
            await s.SetupAsync(ctx, ct);
            await s.WarmUpAsync(ctx, ct);
            var ours = new List<double>();
            var raw = new List<double>();
            for (var rep = 1; rep <= ctx.Options.Repetitions; rep++)
            {
                await s.ResetAsync(ctx, Side.Raw, ct);
                raw.Add(await s.RunRawAsync(ctx, ct));
                await s.ResetAsync(ctx, Side.Ours, ct);
                ours.Add(await s.RunOursAsync(ctx, ct));
                Console.WriteLine($"    rep {rep}/{ctx.Options.Repetitions}: raw {Format(raw[^1])}  ours {Format(ours[^1])} {s.Unit}");
            }
            var o = Median(ours);
            var r = Median(raw);
            results.Add(new ScenarioResult(s.Name, s.Unit, o, r, ScenarioResult.RatioOf(o, r, s.Direction), s.Target, s.Direction, ours, raw, s.Limit));
        }
        return results;
    }

    public static double Median(IReadOnlyList<double> values)
    {
        if (values.Count == 0) return double.NaN;
        var sorted = values.Order().ToArray();
        var mid = sorted.Length / 2;
        return sorted.Length % 2 == 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
    }

    /// <summary>Nearest-rank percentile (p in 0..100) of a sample, for latency scenarios.</summary>
    public static double Percentile(IReadOnlyList<double> values, double p)
    {
        if (values.Count == 0) return double.NaN;
        var sorted = values.Order().ToArray();
        var rank = (int)Math.Ceiling(p / 100 * sorted.Length);
        return sorted[Math.Clamp(rank - 1, 0, sorted.Length - 1)];
    }

    public static string Format(double value) =>
        double.IsNaN(value) ? "n/a" : value >= 100 ? value.ToString("N0", CultureInfo.InvariantCulture) : value.ToString("0.###", CultureInfo.InvariantCulture);
}
