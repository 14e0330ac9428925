namespace Narrative.Benchmarks.Harness;

/// <summary>Command line: <c>[--quick] [--only prefix[,prefix]] [--reps n]</c>.</summary>
public sealed record BenchOptions(bool Quick, int Repetitions, IReadOnlyList<string> Only)
{
    public static BenchOptions Parse(IReadOnlyList<string> args)
    {
        var quick = false;
        int? reps = null;
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
                case "--only" when i + 1 < args.Count:
                    only.AddRange(args[++i].Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
                    break;
                default:
                    throw new ArgumentException($"Unknown argument '{args[i]}'. Usage: bench [--quick] [--only prefix[,prefix]] [--reps n]");
            }
        }
        return new BenchOptions(quick, reps ?? 3, only);
    }

    /// <summary>Picks the quick or the full size of a workload.</summary>
    public int Size(int quick, int full) => Quick ? quick : full;

    public bool Includes(string name) =>
        Only.Count == 0 || Only.Any(p => name.StartsWith(p, StringComparison.Ordinal));
}
