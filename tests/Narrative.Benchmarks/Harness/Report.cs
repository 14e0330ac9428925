using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Narrative.Benchmarks.Harness;

public static class Report
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { WriteIndented = true };

    public static string Table(IEnumerable<ScenarioResult> results)
    {
        var sb = new StringBuilder();
        sb.AppendLine("| name | unit | ours | raw | ratio | target |");
        sb.AppendLine("|---|---|---:|---:|---:|---|");
        foreach (var r in results)
        {
            var ratio = r.Ratio is { } x ? x.ToString("0.00", CultureInfo.InvariantCulture) : "n/a";
            var target = r.Limit is { } l
                ? $"≤ {l.ToString("0.#", CultureInfo.InvariantCulture)} {r.Unit} {(r.MeetsTarget == true ? "ok" : "MISSED")}"
                : r.Target is { } t
                ? $"ratio ≥ {t.ToString("0.0#", CultureInfo.InvariantCulture)} {(r.MeetsTarget == true ? "ok" : "MISSED")}"
                : "-";
            sb.AppendLine(CultureInfo.InvariantCulture, $"| {r.Name} | {r.Unit} | {Runner.Format(r.Value)} | {Runner.Format(r.BaselineValue)} | {ratio} | {target} |");
        }
        return sb.ToString();
    }

    /// <summary>results.json stays a plain array so tools can diff runs; the machine goes to machine.json.</summary>
    public static async Task WriteAsync(string directory, IEnumerable<ScenarioResult> results, Machine machine, CancellationToken ct)
    {
        Directory.CreateDirectory(directory);
        var rows = results.Select(r => new { r.Name, r.Unit, r.Value, r.BaselineValue, r.Ratio }).ToList();
        await File.WriteAllTextAsync(Path.Combine(directory, "results.json"), JsonSerializer.Serialize(rows, Json) + "\n", ct);
        await File.WriteAllTextAsync(Path.Combine(directory, "machine.json"), JsonSerializer.Serialize(machine, Json) + "\n", ct);
    }
}
