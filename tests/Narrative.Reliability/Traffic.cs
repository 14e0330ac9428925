using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text;
using System.Text.Json.Nodes;

namespace Narrative.Reliability;

/// <summary>Where a request goes: an API node's clients with the ingest key and without a key.</summary>
internal sealed record Target(string Name, HttpClient Ingest, HttpClient Reader);

/// <summary>
/// Two writers (new documents, a quarter followed by a correction) and four readers (assessments at random dates,
/// weekly timelines) until stopped, each request sent to the target <c>pick</c> gives at that moment. Records what was
/// acknowledged, what was refused, the latencies and the errors.
/// </summary>
internal sealed class Traffic
{
    public const string Topic = "putin-ceasefire-stance";

    private static int _counter;
    private static string[] _hypotheses = ["genuine", "feigned", "maximalist"];
    private static readonly string[] Dates = ["2023-12-15", "2024-01-10", "2024-01-31", "2024-02-29", "2024-03-31", "2024-05-31"];

    private readonly ConcurrentBag<double> _latencies = [];
    private long _errors, _reads, _corrections;
    private string? _firstRefusal;

    public ConcurrentBag<string> Acked { get; } = [];
    public ConcurrentBag<string> Refused { get; } = [];
    public long Errors => Interlocked.Read(ref _errors);
    public long Reads => Interlocked.Read(ref _reads);
    public long Corrections => Interlocked.Read(ref _corrections);
    public TimeSpan Took { get; private set; }

    public (double P50, double P99) Percentiles() => Row.Percentiles([.. _latencies]);

    /// <summary>Documents and corrections acknowledged, reads, and the request rate.</summary>
    public string Summary() =>
        $"{Acked.Count} documents and {Corrections} corrections acknowledged, {Reads} reads " +
        $"({(Reads + Acked.Count + Corrections) / Math.Max(1, Took.TotalSeconds):0} requests/s), {Errors} errors" +
        (_firstRefusal is null ? "" : $" (the first refused write: {_firstRefusal})");

    public static async Task<Traffic> RunAsync(Func<Target> pick, CancellationToken stop)
    {
        var traffic = new Traffic();
        var clock = Stopwatch.StartNew();
        await Task.WhenAll(traffic.WriterAsync(pick, stop), traffic.WriterAsync(pick, stop),
            traffic.ReaderAsync(pick, stop), traffic.ReaderAsync(pick, stop), traffic.ReaderAsync(pick, stop), traffic.ReaderAsync(pick, stop));
        traffic.Took = clock.Elapsed;
        return traffic;
    }

    private async Task WriterAsync(Func<Target> pick, CancellationToken stop)
    {
        await Task.Yield();
        var rng = new Random();
        while (!stop.IsCancellationRequested)
        {
            var id = $"rel-{Interlocked.Increment(ref _counter)}-{Guid.NewGuid().ToString("N")[..12]}";
            var target = pick();
            var sw = Stopwatch.StartNew();
            try
            {
                using var r = await target.Ingest.PostAsync("/api/documents", Json(Document(id)));
                _latencies.Add(sw.Elapsed.TotalMilliseconds);
                if ((int)r.StatusCode is 200 or 201)
                {
                    Acked.Add(id);
                    if (rng.Next(4) == 0) await CorrectAsync(target, id);
                }
                else
                {
                    Refused.Add(id);
                    Interlocked.Increment(ref _errors);
                    if (_firstRefusal is null)
                    {
                        var body = await r.Content.ReadAsStringAsync();
                        Interlocked.CompareExchange(ref _firstRefusal, $"{(int)r.StatusCode} {body[..Math.Min(300, body.Length)]}", null);
                    }
                }
            }
            catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
            {
                // No answer: the write may or may not have committed, so it is neither acknowledged nor refused.
                Interlocked.Increment(ref _errors);
            }
        }
    }

    private async Task CorrectAsync(Target target, string id)
    {
        var sw = Stopwatch.StartNew();
        using var c = await target.Ingest.PostAsync($"/api/documents/{id}/corrections", Json(new JsonObject
        {
            ["reason"] = "reliability re-rating",
            ["items"] = new JsonArray(new JsonObject { ["id"] = $"{id}-a", ["credibility"] = 2 }),
        }));
        _latencies.Add(sw.Elapsed.TotalMilliseconds);
        if (c.IsSuccessStatusCode) Interlocked.Increment(ref _corrections);
        else Interlocked.Increment(ref _errors);
    }

    private async Task ReaderAsync(Func<Target> pick, CancellationToken stop)
    {
        await Task.Yield();
        var rng = new Random();
        while (!stop.IsCancellationRequested)
        {
            var path = rng.Next(3) == 0
                ? $"/api/topics/{Topic}/timeline?step=week"
                : $"/api/topics/{Topic}/assessment?asOf={Dates[rng.Next(Dates.Length)]}";
            var sw = Stopwatch.StartNew();
            try
            {
                using var r = await pick().Reader.GetAsync(path);
                _latencies.Add(sw.Elapsed.TotalMilliseconds);
                Interlocked.Increment(ref _reads);
                if (!r.IsSuccessStatusCode) Interlocked.Increment(ref _errors);
            }
            catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
            {
                Interlocked.Increment(ref _errors);
            }
        }
    }

    /// <summary>
    /// The topic's hypotheses now (a revision may have added one since the seeds' topic file): a new item must rate
    /// each of them, or every write of the load would be refused.
    /// </summary>
    public static async Task UseHypothesesOfAsync(HttpClient client)
    {
        var topics = JsonNode.Parse(await client.GetStringAsync("/api/topics"))!.AsArray();
        var topic = topics.Single(t => t!["id"]!.GetValue<string>() == Topic)!;
        _hypotheses = [.. topic["hypotheses"]!.AsArray().Select(h => h!["id"]!.GetValue<string>())];
    }

    private static StringContent Json(JsonNode node) => new(node.ToJsonString(), Encoding.UTF8, "application/json");

    public static JsonObject Document(string id) => new()
    {
        ["id"] = id,
        ["source"] = "reuters",
        ["publishedAt"] = "2024-03-01",
        ["title"] = "A reliability piece",
        ["url"] = "https://example.org/reliability",
        ["authors"] = new JsonArray("A. Writer"),
        ["cites"] = new JsonArray(),
        ["items"] = new JsonArray(new JsonObject
        {
            ["id"] = $"{id}-a",
            ["topic"] = Topic,
            ["type"] = "report",
            ["summary"] = "Something was reported.",
            ["attributedTo"] = "a test",
            ["credibility"] = 3,
            ["ratings"] = new JsonObject(_hypotheses.Select(h => KeyValuePair.Create(h, (JsonNode?)JsonValue.Create("N")))),
            ["rebuts"] = new JsonArray(),
        }),
    };
}
