namespace Narrative.Benchmarks.Harness;

/// <summary>Command line: <c>[--quick] [--only prefix[,prefix]] [--reps n] [--lag-rate n]</c>.</summary>
public sealed record BenchOptions(bool Quick, int Repetitions, IReadOnlyList<string> Only, int LagRate = BenchOptions.FloorLagRate)
{
    /// <summary>The rate (appends/s) at which the lag floors are set; other rates size a deployment and have no floor.</summary>
    public const int FloorLagRate = 500;

    private const string Usage = "Usage: bench [--quick] [--only prefix[,prefix]] [--reps n] [--lag-rate appends-per-second]";

    public static BenchOptions Parse(IReadOnlyList<string> args)
    {
        var quick = false;
        int? reps = null;
        var lagRate = FloorLagRate;
        var only = new List<string>();
        for (var i = 0; i < args.Count; i++)
        {
            switch (args[i])
            {
                case "--quick":
                    quick = true;
                    break;
                case "--reps" when i + 1 < args.Count && int.TryParse(args[i + 1], out var n) && n > 0:
                    reps = n;
                    i++;
                    break;
                case "--lag-rate" when i + 1 < args.Count && int.TryParse(args[i + 1], out var r) && r is > 0 and <= 10_000:
                    lagRate = r;
                    i++;
                    break;
                case "--lag-rate":
                    throw new ArgumentException($"--lag-rate takes a whole number of appends per second from 1 to 10000. {Usage}");
                case "--only" when i + 1 < args.Count:
                    only.AddRange(args[++i].Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
                    break;
                default:
                    throw new ArgumentException($"Unknown argument '{args[i]}'. {Usage}");
            }
        }
        return new BenchOptions(quick, reps ?? 3, only, lagRate);
    }

    /// <summary>Picks the quick or the full size of a workload.</summary>
    public int Size(int quick, int full) => Quick ? quick : full;

    public bool Includes(string name) =>
        Only.Count == 0 || Only.Any(p => name.StartsWith(p, StringComparison.Ordinal));
}
