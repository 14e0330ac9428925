using System.Diagnostics;
using Narrative.Analysis;
using Narrative.Benchmarks.Harness;
using Narrative.Domain;
using Narrative.Storage;
using Npgsql;

namespace Narrative.Benchmarks.Scenarios;

/// <summary>
/// A second database on the bench server holding a synthetic narrative corpus: one topic ("bench-main") with 10,000
/// evidence items, plus other topics filling the store to the size of the run (1,000,000 events in a full run).
/// Events are appended straight to the store (no validation), 50 items per document, some citing earlier documents.
/// </summary>
public sealed class AnalysisBench
{
    public const string MainTopic = "bench-main";
    public const int ItemsPerDocument = 50;
    public static readonly DateOnly PeriodStart = new(2023, 1, 1);
    public static readonly DateOnly PeriodEnd = new(2024, 12, 31);

    private static AnalysisBench? _instance;

    private AnalysisBench(NarrativeServices services, long events)
    {
        Services = services;
        Events = events;
    }

    public NarrativeServices Services { get; }
    public long Events { get; }

    public static async Task<AnalysisBench> GetAsync(BenchContext ctx, CancellationToken ct)
    {
        if (_instance is not null) return _instance;
        var admin = new NpgsqlConnectionStringBuilder(ctx.Db.ConnectionString) { Database = "postgres", Pooling = false }.ConnectionString;
        var name = $"narrative_analysis_bench_{Environment.ProcessId}";
        await using (var conn = new NpgsqlConnection(admin))
        {
            await conn.OpenAsync(ct);
            await using var create = new NpgsqlCommand($"drop database if exists \"{name}\"; create database \"{name}\"", conn);
            await create.ExecuteNonQueryAsync(ct);
        }
        var services = await NarrativeServices.OpenAsync(
            new NpgsqlConnectionStringBuilder(ctx.Db.ConnectionString) { Database = name, MaxPoolSize = 60 }.ConnectionString, ct);
        var target = ctx.Options.Size(110_000, 1_000_000);
        var sw = Stopwatch.StartNew();
        Console.WriteLine($"    generating a {target:N0}-event narrative corpus (untimed)");
        var events = await GenerateAsync(services, target, ct);
        await using (var vacuum = services.DataSource.CreateCommand("vacuum analyze events")) { vacuum.CommandTimeout = 0; await vacuum.ExecuteNonQueryAsync(ct); }
        Console.WriteLine($"    {events:N0} events in {sw.Elapsed.TotalSeconds:0}s");
        return _instance = new AnalysisBench(services, events);
    }

    /// <summary>Runs the projection daemon until the read model has caught up with the log (untimed).</summary>
    public async Task CatchUpAsync(CancellationToken ct)
    {
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var daemon = new Narrative.Storage.Subscriptions.SubscriptionDaemon(Services.Store, Services.Projections,
            new Narrative.Storage.Subscriptions.SubscriptionOptions { BatchSize = 5000, NodeId = "bench-catch-up" }).RunAsync(stop.Token);
        try { await Services.WaitForProjectionsAsync(TimeSpan.FromMinutes(30), ct); }
        finally
        {
            await stop.CancelAsync();
            await daemon;
        }
    }

    private static async Task<long> GenerateAsync(NarrativeServices s, int target, CancellationToken ct)
    {
        var rng = new Random(42);
        var at = DateTimeOffset.UnixEpoch;
        var meta = new EventMetadata { Actor = "bench" };
        EventData E(object data) => new(Guid.NewGuid(), data, at, meta);
        long count = 0;
        string[] grades = ["A", "B", "C", "D", "E", "F"];
        for (var i = 0; i < 6; i++)
            count += (await s.Store.AppendAsync($"source-s{i}", ExpectedVersion.Any, [E(new SourceRegistered($"s{i}", $"Source {i}", "newspaper", grades[i], null))], ct)).Written;
        Hypothesis[] hypotheses = [new("genuine", "Genuine", null), new("feigned", "Feigned", null), new("maximalist", "Maximalist", null)];
        for (var i = 0; i < 3; i++)
        {
            var start = PeriodStart.AddDays(120 * i + 30);
            count += (await s.Store.AppendAsync($"context-aid-{i}", ExpectedVersion.Any,
                [E(new ContextPeriodRecorded($"aid-{i}", $"Aid debate {i}", "aid-debate", start, start.AddDays(40), start.AddDays(40)))], ct)).Written;
        }
        var topics = Math.Max(1, target / (10_000 + 10_000 / ItemsPerDocument));
        string[] types = ["signal", "statement", "action", "assessment", "rebuttal", "report", "report", "assessment", "statement", "report"];
        string[] ratings = ["CC", "C", "N", "N", "I", "II"];
        var days = PeriodEnd.DayNumber - PeriodStart.DayNumber;
        var writers = Enumerable.Range(0, 4).Select(w => Task.Run(async () =>
        {
            long written = 0;
            var r = new Random(1000 + w);
            for (var t = w; t < topics; t += 4)
            {
                var topic = t == 0 ? MainTopic : $"bench-topic-{t}";
                written += (await s.Store.AppendAsync($"topic-{topic}", ExpectedVersion.Any,
                    [E(new TopicOpened(topic, topic, PeriodStart, PeriodEnd, hypotheses))], ct)).Written;
                var docs = 10_000 / ItemsPerDocument;
                for (var d = 0; d < docs; d++)
                {
                    var docId = $"{topic}-doc-{d}";
                    var published = PeriodStart.AddDays(d * days / docs);
                    var source = $"s{r.Next(6)}";
                    IReadOnlyList<string> cites = d > 0 && r.Next(5) == 0 ? [$"{topic}-doc-{r.Next(d)}"] : [];
                    var items = Enumerable.Range(0, ItemsPerDocument).Select(k =>
                    {
                        var type = types[r.Next(types.Length)];
                        return new ItemRecorded($"{docId}-i{k}", docId, source, published, topic, type, $"{topic}-claim-{r.Next(3000)}",
                            "A synthetic item for the benchmark.", null, "bench", null, r.Next(1, 7),
                            hypotheses.ToDictionary(h => h.Id, _ => ratings[r.Next(ratings.Length)]),
                            type == "rebuttal" && d > 0 ? [$"{topic}-doc-{r.Next(d)}-i{r.Next(ItemsPerDocument)}"] : [], null);
                    }).ToList();
                    var doc = new DocumentIngested(docId, source, published, docId, null, [], cites, items.Select(x => x.ItemId).ToList(), "bench");
                    written += (await s.Store.AppendAsync($"document-{docId}", ExpectedVersion.NoStream, [E(doc), .. items.Select(x => E(x))], ct)).Written;
                }
            }
            return written;
        }, ct)).ToList();
        foreach (var w in writers) count += await w;
        return count;
    }
}
