using Serilog;
using System.Diagnostics;
using JasperFx.Events.Daemon;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Narrative.Analysis;
using Narrative.Benchmarks.Harness;
using Narrative.Domain;
using Narrative.Storage;
using Npgsql;

namespace Narrative.Benchmarks.Scenarios;

/// <summary>
/// A second database on the bench server holding a synthetic narrative corpus: one topic ("bench-main") with 10,000
/// evidence items, plus other topics filling the store to the size of the run (1,000,000 events in a full run).
/// Events are appended straight through the event log (no validation), 50 items per document, some citing earlier
/// documents. The corpus is written by a host without the daemon; then the relay to the handlers is placed at the
/// head (the reactions only see what the rows append, not 100,000s of corpus items), and the running stack (Marten's
/// daemon in Solo mode, Wolverine's handlers) starts and projects the corpus into rm_analysis before any row is timed.
/// </summary>
public sealed class AnalysisBench
{
    public const string MainTopic = "bench-main";
    public const int ItemsPerDocument = 50;
    public static readonly DateOnly PeriodStart = new(2023, 1, 1);
    public static readonly DateOnly PeriodEnd = new(2024, 12, 31);

    private static AnalysisBench? _instance;

    private AnalysisBench(IHost host, long events)
    {
        Host = host;
        Services = host.Services.GetRequiredService<NarrativeServices>();
        Events = events;
    }

    /// <summary>The running stack: Marten with its async daemon (Solo), Wolverine with Narrative's handlers.</summary>
    public IHost Host { get; }
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
        var cs = new NpgsqlConnectionStringBuilder(ctx.Db.ConnectionString) { Database = name, MaxPoolSize = 60 }.ConnectionString;
        var target = ctx.Options.Size(110_000, 1_000_000);
        var sw = Stopwatch.StartNew();
        Console.WriteLine($"    generating a {target:N0}-event narrative corpus (untimed)");
        long events;
        using (var loader = await StartHostAsync(cs, new NarrativeRuntime { Daemon = false }, ct))
        {
            events = await GenerateAsync(loader.Services.GetRequiredService<NarrativeServices>(), target, ct);
            await loader.StopAsync(ct);
        }
        await using (var ds = NpgsqlDataSource.Create(cs))
        {
            await using var vacuum = ds.CreateCommand($"vacuum analyze {EventStoreSetup.Schema}.mt_events");
            vacuum.CommandTimeout = 0;
            await vacuum.ExecuteNonQueryAsync(ct);
            // The relay to the handlers starts at the head: the corpus is history, the lag rows' probes are new.
            await using var relay = ds.CreateCommand($"""
                insert into {EventStoreSetup.Schema}.mt_event_progression (name, last_seq_id, last_updated)
                select $1, coalesce(max(seq_id), 0), now() from {EventStoreSetup.Schema}.mt_events
                on conflict (name) do update set last_seq_id = excluded.last_seq_id
                """);
            relay.Parameters.Add(new() { Value = $"{NarrativeHosting.RelayName}:All" });
            await relay.ExecuteNonQueryAsync(ct);
        }
        Console.WriteLine($"    {events:N0} events in {sw.Elapsed.TotalSeconds:0}s; starting the stack and projecting them (untimed)");
        var host = await StartHostAsync(cs, new NarrativeRuntime { DaemonMode = DaemonMode.Solo }, ct);
        var bench = new AnalysisBench(host, events);
        sw.Restart();
        await bench.CatchUpAsync(ct);
        Console.WriteLine($"    Marten's daemon projected the corpus in {sw.Elapsed.TotalSeconds:0}s");
        return _instance = bench;
    }

    private static Task<IHost> StartHostAsync(string cs, NarrativeRuntime runtime, CancellationToken ct) =>
        NarrativeHosting.StartHostAsync(cs, runtime, Warnings, ct);

    /// <summary>Marten's and Wolverine's warnings and errors, on the console beside the bench's own lines.</summary>
    private static readonly Serilog.ILogger Warnings = new Serilog.LoggerConfiguration().MinimumLevel.Warning()
        .WriteTo.Console(outputTemplate: "    [{Level:u3}] {SourceContext}: {Message:lj}{NewLine}{Exception}").CreateLogger();

    /// <summary>Waits until Marten's daemon has projected everything appended so far (untimed).</summary>
    public Task CatchUpAsync(CancellationToken ct) => Services.WaitForProjectionsAsync(TimeSpan.FromMinutes(30), ct);

    public static async Task DisposeAsync()
    {
        if (_instance is null) return;
        await _instance.Host.StopAsync();
        _instance.Host.Dispose();
        _instance = null;
    }

    private static async Task<long> GenerateAsync(NarrativeServices s, int target, CancellationToken ct)
    {
        var rng = new Random(42);
        var meta = new EventMetadata { Actor = "bench" };
        EventData E(object data) => new(Guid.NewGuid(), data, meta);
        long count = 0;
        string[] grades = ["A", "B", "C", "D", "E", "F"];
        for (var i = 0; i < 6; i++)
            count += (await s.Log.AppendAsync($"source-s{i}", ExpectedVersion.Any, [E(new SourceRegistered($"s{i}", $"Source {i}", "newspaper", grades[i], null))], ct)).Written;
        Hypothesis[] hypotheses = [new("genuine", "Genuine", null), new("feigned", "Feigned", null), new("maximalist", "Maximalist", null)];
        for (var i = 0; i < 3; i++)
        {
            var start = PeriodStart.AddDays(120 * i + 30);
            count += (await s.Log.AppendAsync($"context-aid-{i}", ExpectedVersion.Any,
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
                written += (await s.Log.AppendAsync($"topic-{topic}", ExpectedVersion.Any,
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
                    written += (await s.Log.AppendAsync($"document-{docId}", ExpectedVersion.NoStream, [E(doc), .. items.Select(x => E(x))], ct)).Written;
                }
            }
            return written;
        }, ct)).ToList();
        foreach (var w in writers) count += await w;
        return count;
    }
}
