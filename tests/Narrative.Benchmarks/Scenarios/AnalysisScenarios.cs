using System.Diagnostics;
using System.Text.Json;
using Narrative.Analysis;
using Narrative.Analysis.Queries;
using Narrative.Analysis.ReadModel;
using Narrative.Benchmarks.Harness;
using Narrative.Domain;
using Narrative.Domain.Replay;
using JasperFx.Events.Daemon;
using Microsoft.Extensions.DependencyInjection;
using Narrative.Storage;
using Narrative.Storage.Rebuilds;
using Npgsql;

namespace Narrative.Benchmarks.Scenarios;

public static class AnalysisScenarios
{
    public static IEnumerable<Scenario> All(BenchOptions options) =>
    [
        new RebuildScenario(),
        // Runs after the rebuild, which leaves the read model populated.
        new QueryAssessmentScenario("query.assessment.p95", cached: true, limitMs: 20),
        new QueryAssessmentScenario("query.assessment.uncached.p95", cached: false, limitMs: null),
        new LagScenario("projection.lag.p99", handler: false, limitMs: 200, options.LagRate),
        new LagScenario("handler.lag.p99", handler: true, limitMs: 200, options.LagRate),
        // Last: Marten's rebuild refills the indexed tables without analyze, and the queries' plans suffered after it
        // (p95 of the raw query 215 ms instead of a few), so it runs after the rows that read the model.
        new MartenRebuildScenario(),
    ];

    internal static double Percentile(List<double> values, double p)
    {
        values.Sort();
        return values.Count == 0 ? 0 : values[Math.Clamp((int)Math.Ceiling(p * values.Count) - 1, 0, values.Count - 1)];
    }
}

/// <summary>
/// rebuild.assessment: events/s loaded by BulkRebuilder (binary COPY of mt_events into index-free shadow tables,
/// index builds, deferred corrections, analyze, swap agreed with the daemon through the progression row), against a raw
/// read of the same events. Marten's daemon runs throughout, as in production; it has caught up, untimed, before each run.
/// </summary>
public sealed class RebuildScenario : Scenario
{
    public override string Name => "rebuild.assessment";
    public override string Unit => "events/s";
    public override double? Target => 0.5;

    public override string Describe(BenchOptions o) =>
        $"BulkRebuilder over the synthetic corpus ({o.Size(110_000, 1_000_000):N0} events: COPY into index-free tables, build indexes, analyse, swap; daemon caught up and the database vacuumed and checkpointed, untimed, before each repetition; after one untimed run of each side) vs read.all's raw read (same columns, ordered, deserialised) of the same events";

    public override async Task SetupAsync(BenchContext ctx, CancellationToken ct) => await AnalysisBench.GetAsync(ctx, ct);

    /// <summary>
    /// One whole untimed run of each side. The first rebuild in a process also pays for compiling its code (tiered JIT),
    /// a cost of starting the process that the timed repetitions should not mix with the rebuild's own.
    /// </summary>
    public override async Task WarmUpAsync(BenchContext ctx, CancellationToken ct)
    {
        await RebuildRows.ResetAsync(ctx, ct);
        await RunRawAsync(ctx, ct);
        await RunOursAsync(ctx, ct);
    }

    public override Task ResetAsync(BenchContext ctx, Side side, CancellationToken ct) => RebuildRows.ResetAsync(ctx, ct);

    public override async Task<double> RunOursAsync(BenchContext ctx, CancellationToken ct)
    {
        var b = await AnalysisBench.GetAsync(ctx, ct);
        var sw = Stopwatch.StartNew();
        await BulkRebuilder.RebuildAsync(b.Services.Log, b.Services.Projection, null, ct);
        sw.Stop();
        await RebuildRows.CheckItemsAsync(b, ct);
        return b.Events / sw.Elapsed.TotalSeconds;
    }

    public override Task<double> RunRawAsync(BenchContext ctx, CancellationToken ct) => RebuildRows.RawAsync(ctx, ct);
}

/// <summary>
/// rebuild.assessment.marten: Marten's own rebuild of the same projection, IProjectionDaemon.RebuildProjectionAsync on
/// the running daemon (stop the shard, tear down: delete the read model's rows, replay every event through the
/// projection's pages into the indexed tables, restart the shard). Same baseline as rebuild.assessment.
/// </summary>
public sealed class MartenRebuildScenario : Scenario
{
    public override string Name => "rebuild.assessment.marten";
    public override string Unit => "events/s";

    public override string Describe(BenchOptions o) =>
        $"Marten's IProjectionDaemon.RebuildProjectionAsync(\"analysis\") over the same {o.Size(110_000, 1_000_000):N0} events (no warm-up of its own: the projection code is warm from rebuild.assessment) vs the same raw read";

    public override async Task SetupAsync(BenchContext ctx, CancellationToken ct)
    {
        var b = await AnalysisBench.GetAsync(ctx, ct);
        // The lag rows' bench-only indexes would make Marten's replay dearer than the projection's own tables are.
        await using var drop = b.Services.DataSource.CreateCommand(
            $"drop index if exists rm_analysis.bench_items_position; drop index if exists {EventStoreSetup.Schema}.bench_events_type_position");
        await drop.ExecuteNonQueryAsync(ct);
    }

    public override Task ResetAsync(BenchContext ctx, Side side, CancellationToken ct) => RebuildRows.ResetAsync(ctx, ct);

    public override async Task<double> RunOursAsync(BenchContext ctx, CancellationToken ct)
    {
        var b = await AnalysisBench.GetAsync(ctx, ct);
        var daemon = b.Host.Services.GetRequiredService<IProjectionCoordinator>().DaemonForMainDatabase();
        var sw = Stopwatch.StartNew();
        await daemon.RebuildProjectionAsync(AnalysisProjection.ProjectionName, TimeSpan.FromMinutes(30), ct);
        sw.Stop();
        await RebuildRows.CheckItemsAsync(b, ct);
        return b.Events / sw.Elapsed.TotalSeconds;
    }

    public override Task<double> RunRawAsync(BenchContext ctx, CancellationToken ct) => RebuildRows.RawAsync(ctx, ct);
}

internal static class RebuildRows
{
    private static readonly Dictionary<string, Type> Types = Narrative.Domain.NarrativeEventTypes.All.ToDictionary(t => t.Name, t => t.Type, StringComparer.Ordinal);

    /// <summary>Untimed: the daemon has caught up (the bulk rebuild's ceiling is its progression) and the database is vacuumed.</summary>
    public static async Task ResetAsync(BenchContext ctx, CancellationToken ct)
    {
        var b = await AnalysisBench.GetAsync(ctx, ct);
        await b.CatchUpAsync(ct);
        // The tables the previous repetition swapped in are new, so autovacuum is about to visit them. Let that happen
        // now, untimed, rather than on the cores the next run is timed on.
        await using var vacuum = b.Services.DataSource.CreateCommand("vacuum");
        vacuum.CommandTimeout = 0;
        await vacuum.ExecuteNonQueryAsync(ct);
        // A rebuild writes the whole read model and its indexes, so the WAL since the last checkpoint soon passes
        // max_wal_size and forces one. Take it here, untimed, as the append rows do: without it the third timed
        // rebuild ran at 88–90k events/s against 104–136k in two runs; with it, 100–111k in a row.
        await using var checkpoint = b.Services.DataSource.CreateCommand("checkpoint");
        checkpoint.CommandTimeout = 0;
        await checkpoint.ExecuteNonQueryAsync(ct);
    }

    /// <summary>read.all's raw read of the corpus, each event deserialised to its domain type with System.Text.Json.</summary>
    public static async Task<double> RawAsync(BenchContext ctx, CancellationToken ct)
    {
        var b = await AnalysisBench.GetAsync(ctx, ct);
        var sw = Stopwatch.StartNew();
        var (n, deserialised) = await ReadAllScenario.RawReadAllAsync(b.Services.DataSource,
            (type, data) => Types.TryGetValue(type, out var t) && JsonSerializer.Deserialize(data, t, NarrativeEvents.Json) is not null, long.MaxValue, ct);
        sw.Stop();
        if (n < b.Events || deserialised != n) throw new InvalidOperationException($"raw read {n:N0} events ({deserialised:N0} deserialised), expected {b.Events:N0}");
        return b.Events / sw.Elapsed.TotalSeconds;
    }

    /// <summary>Untimed: the rebuilt read model holds every item of the main topic.</summary>
    public static async Task CheckItemsAsync(AnalysisBench b, CancellationToken ct)
    {
        await using var cmd = b.Services.DataSource.CreateCommand("select count(*) from rm_analysis.items where topic = $1");
        cmd.Parameters.Add(new() { Value = AnalysisBench.MainTopic });
        var n = (long)(await cmd.ExecuteScalarAsync(ct))!;
        if (n != 10_000) throw new InvalidOperationException($"the rebuilt read model holds {n:N0} items of {AnalysisBench.MainTopic}, expected 10,000");
    }
}

/// <summary>
/// query.assessment.p95: an assessment of the 10,000-item topic at random dates, as the services answer it (through
/// the topic cache: the store does not change during the run, so after the first question each one checks the
/// read-model state and computes from memory). query.assessment.uncached.p95: the same with the cache off, each
/// question reading its slice with the time filters in SQL. Raw, for both: the same point-in-time rows (items and
/// their valid versions) read with one hand-written query, without computing anything.
/// </summary>
public sealed class QueryAssessmentScenario(string name, bool cached, double? limitMs) : Scenario
{
    private AnalysisQueries? _uncached;

    public override string Name => name;
    public override string Unit => "ms";
    public override Direction Direction => Direction.LowerIsBetter;
    public override double? Limit => limitMs;

    private int Queries(BenchOptions o) => o.Size(40, 200);

    public override string Describe(BenchOptions o) =>
        $"{Queries(o)} assessments of a 10,000-item topic at random asOf in a {o.Size(110_000, 1_000_000):N0}-event store (p95), " +
        (cached ? "through the topic cache (store unchanged during the run)" : "topic cache off (slice read per question)") + ", vs a raw read of the same rows";

    private AnalysisQueries Queries(AnalysisBench b) =>
        cached ? b.Services.Queries : _uncached ??= new AnalysisQueries(b.Services.DataSource, cachedTopics: 0);

    public override async Task SetupAsync(BenchContext ctx, CancellationToken ct) => await (await AnalysisBench.GetAsync(ctx, ct)).CatchUpAsync(ct);

    public override async Task WarmUpAsync(BenchContext ctx, CancellationToken ct)
    {
        var b = await AnalysisBench.GetAsync(ctx, ct);
        // Enough calls, for long enough, for the JIT to move the hot path to optimised (tier 1) code, as in a
        // long-running server: tiering starts after a quiet period and compiles in the background, so a count alone
        // is not enough once a query takes a few milliseconds (60 cached queries last a third of a second).
        var clock = Stopwatch.StartNew();
        var calls = 0;
        foreach (var asOf in Dates(int.MaxValue))
        {
            if (calls++ >= 60 && clock.Elapsed >= TimeSpan.FromSeconds(3)) break;
            await Queries(b).AssessAsync(AnalysisBench.MainTopic, asOf, DateTimeOffset.UtcNow, ct);
        }
    }

    private static IEnumerable<DateTimeOffset> Dates(int n)
    {
        var r = new Random(7);
        var days = AnalysisBench.PeriodEnd.DayNumber - AnalysisBench.PeriodStart.DayNumber;
        return Enumerable.Range(0, n).Select(_ => WorldQueries.EndOfDay(AnalysisBench.PeriodStart.AddDays(r.Next(days))));
    }

    public override async Task<double> RunOursAsync(BenchContext ctx, CancellationToken ct)
    {
        var b = await AnalysisBench.GetAsync(ctx, ct);
        var times = new List<double>();
        foreach (var asOf in Dates(Queries(ctx.Options)))
        {
            var sw = Stopwatch.StartNew();
            var a = await Queries(b).AssessAsync(AnalysisBench.MainTopic, asOf, DateTimeOffset.UtcNow, ct);
            times.Add(sw.Elapsed.TotalMilliseconds);
            if (a is null) throw new InvalidOperationException("bench topic missing");
        }
        return AnalysisScenarios.Percentile(times, 0.95);
    }

    public override async Task<double> RunRawAsync(BenchContext ctx, CancellationToken ct)
    {
        var b = await AnalysisBench.GetAsync(ctx, ct);
        var times = new List<double>();
        foreach (var asOf in Dates(Queries(ctx.Options)))
        {
            var sw = Stopwatch.StartNew();
            // An item's own row holds its first ratings; a re-rating valid at knownAt, if any, replaces them.
            await using var cmd = b.Services.DataSource.CreateCommand("""
                select i.item_id, i.document_id, i.source, i.type, i.claim, i.published_at, i.position, i.rebuts,
                       coalesce(v.ratings, i.ratings)::text, coalesce(v.credibility, i.credibility)
                from rm_analysis.items i
                left join lateral (select v.ratings, v.credibility from rm_analysis.item_versions v where v.item_id = i.item_id
                    and v.from_recorded_at <= $3 and (v.to_recorded_at is null or v.to_recorded_at > $3) offset 0) v on true
                where i.topic = $1 and i.published_at <= $2 and i.recorded_at <= $3
                """);
            cmd.Parameters.Add(new() { Value = AnalysisBench.MainTopic });
            cmd.Parameters.Add(new() { Value = DateOnly.FromDateTime(asOf.UtcDateTime) });
            cmd.Parameters.Add(new() { Value = DateTimeOffset.UtcNow });
            var rows = 0;
            await using (var r = await cmd.ExecuteReaderAsync(ct))
                while (await r.ReadAsync(ct))
                {
                    for (var c = 0; c < r.FieldCount; c++) _ = r.GetValue(c);
                    rows++;
                }
            if (rows == 0) throw new InvalidOperationException($"raw read no items at {asOf:O}");
            times.Add(sw.Elapsed.TotalMilliseconds);
        }
        return AnalysisScenarios.Percentile(times, 0.95);
    }
}

/// <summary>
/// projection.lag.p99 / handler.lag.p99: a steady 500 appends/s (or --lag-rate's) through EventLog.AppendAsync (open loop: each append is due at its time, up to 8 in flight), each one ItemRecorded
/// of type signal published inside the corpus's first aid-debate context period, with Marten's daemon (Solo) and
/// Wolverine's handlers running in-process. For each event, the time from its append's commit until a poller (every
/// 2 ms) sees its effect: its row in rm_analysis.items (projection), or the narrative.coincidence_flagged.v1 event
/// that the CoincidenceDetector handler appends for it in mt_events (handler: daemon → relay subscription →
/// Wolverine's durable local queue → handler → append). Raw: the same appends, the same poller watching mt_events for
/// the probe itself, i.e. the floor set by commit visibility and polling.
/// </summary>
public sealed class LagScenario(string name, bool handler, double limitMs, int rate) : Scenario
{
    private const string ProbeType = "narrative.item_recorded.v1";
    private const string EffectType = "narrative.coincidence_flagged.v1";

    /// <summary>How long the run waits, after the last append, for the last effects.</summary>
    private static readonly TimeSpan Drain = TimeSpan.FromSeconds(60);

    /// <summary>At another rate than the floor's the row is named for its rate (handler.lag.p99@100) and has no floor.</summary>
    public override string Name => rate == BenchOptions.FloorLagRate ? name : $"{name}@{rate}";
    public override string Unit => "ms";
    public override Direction Direction => Direction.LowerIsBetter;
    public override double? Limit => rate == BenchOptions.FloorLagRate ? limitMs : null;

    private static int Seconds(BenchOptions o) => o.Size(4, 20);

    /// <summary>How many appends may be in flight at once.</summary>
    private const int Writers = 8;

    public override string Describe(BenchOptions o) =>
        $"{rate} appends/s for {Seconds(o)} s; p99 of commit → {(handler ? "the CoincidenceDetector's coincidence_flagged event in mt_events (Marten daemon + Wolverine in-process)" : "rm_analysis.items row (Marten daemon in-process)")} vs commit → visible in mt_events";

    public override async Task SetupAsync(BenchContext ctx, CancellationToken ct)
    {
        var b = await AnalysisBench.GetAsync(ctx, ct);
        // The pollers need an index on the read model's position and one on the log's (type, position): bench-only indexes,
        // which make projection writes and appends a bit dearer. Without the second, a poll re-read every row since the
        // last effect it saw, which under load took 4 ms a poll, every 2 ms, on the CPU the pipeline needs.
        await using var ix = b.Services.DataSource.CreateCommand($$"""
            create index if not exists bench_items_position on rm_analysis.items (position);
            create index if not exists bench_events_type_position on {{EventStoreSetup.Schema}}.mt_events (type, seq_id);
            """);
        await ix.ExecuteNonQueryAsync(ct);
    }

    public override async Task WarmUpAsync(BenchContext ctx, CancellationToken ct)
    {
        var b = await AnalysisBench.GetAsync(ctx, ct);
        await WarmUpAsync(b.Services, Guid.NewGuid().ToString("N")[..8], ct);
    }

    /// <summary>Untimed: the previous run's backlog (projection and handlers) is worked off, so runs do not overlap.</summary>
    public override async Task ResetAsync(BenchContext ctx, Side side, CancellationToken ct)
    {
        var b = await AnalysisBench.GetAsync(ctx, ct);
        await b.CatchUpAsync(ct);
        var until = DateTime.UtcNow.AddSeconds(120);
        while (DateTime.UtcNow < until)
        {
            var status = await b.Services.StatusAsync(ct);
            var relay = status.FirstOrDefault(x => x.Name == NarrativeHosting.RelayName);
            await using var cmd = b.Services.DataSource.CreateCommand("select count(*) from wolverine.wolverine_incoming_envelopes where status <> 'Handled'");
            var pending = (long)(await cmd.ExecuteScalarAsync(ct))!;
            if ((relay is null || relay.Lag == 0) && pending == 0) return;
            await Task.Delay(100, ct);
        }
        Console.WriteLine("    warning: the handlers' backlog was not worked off within 120 s; the next run starts with it");
    }

    public override Task<double> RunOursAsync(BenchContext ctx, CancellationToken ct) => RunAsync(ctx, ours: true, ct);

    public override Task<double> RunRawAsync(BenchContext ctx, CancellationToken ct) => RunAsync(ctx, ours: false, ct);

    private async Task<double> RunAsync(BenchContext ctx, bool ours, CancellationToken ct)
    {
        var b = await AnalysisBench.GetAsync(ctx, ct);
        var s = b.Services;
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var tag = Guid.NewGuid().ToString("N")[..8];

        var committed = new System.Collections.Concurrent.ConcurrentDictionary<string, long>();
        var seen = new System.Collections.Concurrent.ConcurrentDictionary<string, long>();
        var total = rate * Seconds(ctx.Options);
        var startPosition = await s.Log.HeadAsync(ct);
        var poller = Task.Run(async () =>
        {
            // Light, indexed polls: each reads only rows past the last one seen (by position; a margin re-reads rows
            // that may have committed out of order), so the poller does not steal the CPU the daemon needs.
            var sql = !ours ? $"select data->>'itemId', seq_id from {EventStoreSetup.Schema}.mt_events where seq_id > $1 and type = '{ProbeType}'"
                : handler ? $"select data->>'itemId', seq_id from {EventStoreSetup.Schema}.mt_events where seq_id > $1 and type = '{EffectType}'"
                : "select item_id, position from rm_analysis.items where position > $1";
            var last = startPosition;
            await using var conn = await s.DataSource.OpenConnectionAsync(ct);
            while (seen.Count < total && !stop.IsCancellationRequested)
            {
                await using (var q = new NpgsqlCommand(sql, conn))
                {
                    q.Parameters.Add(new() { Value = last });
                    await using var r = await q.ExecuteReaderAsync(ct);
                    var now = Stopwatch.GetTimestamp();
                    while (await r.ReadAsync(ct))
                        if (!r.IsDBNull(0) && r.GetString(0).StartsWith($"lag-{tag}-", StringComparison.Ordinal) && seen.TryAdd(r.GetString(0), now))
                            last = Math.Max(last, r.GetInt64(1) - 200);
                }
                await Task.Delay(2, ct);
            }
        }, ct);

        // Open loop: append i is due at i/rate s whatever happened to the ones before it. Several writers take the next
        // due append, so one slow commit delays only itself (a single awaiting writer would fall behind and measure a
        // lower rate instead).
        var started = Stopwatch.GetTimestamp();
        var next = -1;
        async Task WriteAsync()
        {
            for (var i = Interlocked.Increment(ref next); i < total; i = Interlocked.Increment(ref next))
            {
                var due = started + (long)(i * Stopwatch.Frequency / rate);
                if (Stopwatch.GetTimestamp() < due) await Task.Delay(Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), due), ct);
                var id = $"lag-{tag}-{i}";
                await AppendProbeAsync(s, $"lag-{tag}-{i % 50}", id, ct);
                committed[id] = Stopwatch.GetTimestamp();
            }
        }
        await Task.WhenAll(Enumerable.Range(0, Writers).Select(_ => Task.Run(WriteAsync, ct)));
        var appendSeconds = Stopwatch.GetElapsedTime(started).TotalSeconds;
        var deadline = DateTime.UtcNow + Drain;
        while (seen.Count < total && DateTime.UtcNow < deadline) await Task.Delay(20, ct);
        var end = Stopwatch.GetTimestamp();
        await stop.CancelAsync();
        try { await poller; } catch (OperationCanceledException) { }
        if (appendSeconds > Seconds(ctx.Options) * 1.1)
            Console.WriteLine($"    note: the appends took {appendSeconds:0.0} s, not {Seconds(ctx.Options)} s: the writers could not keep {rate}/s");
        if (seen.Count < total)
            Console.WriteLine($"    warning: {(ours ? "ours" : "raw")} saw {seen.Count} of {total} effects within {Drain.TotalSeconds:0} s of the last append; " +
                "the missing ones count as seen at that deadline, so the p99 is a lower bound");
        var lags = committed.Select(kv => ((seen.TryGetValue(kv.Key, out var at) ? at : end) - kv.Value) * 1000.0 / Stopwatch.Frequency)
            .Select(x => Math.Max(0, x)).ToList();
        Console.WriteLine($"    {(ours ? "ours" : "raw")}: p50 {AnalysisScenarios.Percentile(lags, 0.5):0} ms, p90 {AnalysisScenarios.Percentile(lags, 0.9):0} ms, max {lags.Max():0} ms; {total:N0} appends in {appendSeconds:0.0} s");
        return AnalysisScenarios.Percentile(lags, 0.99);
    }

    /// <summary>
    /// One probe, appended alone: a signal published inside the corpus's first aid-debate period (so the
    /// CoincidenceDetector flags it), in a topic and with a claim of its own. Every reaction reads the log of the
    /// trigger's topic or claim, and the assessment watcher scores the whole topic: probes sharing one topic would
    /// make each reaction slower than the last, which measures topic size, not the pipeline. Independent evidence
    /// across topics keeps each reaction's work constant.
    /// </summary>
    private static Task AppendProbeAsync(NarrativeServices s, string stream, string id, CancellationToken ct)
    {
        var published = AnalysisBench.PeriodStart.AddDays(45);
        var item = new ItemRecorded(id, "lag-doc", "s0", published, $"bench-{id}", "signal", id, "lag probe", null, null, null, 3,
            new Dictionary<string, string> { ["genuine"] = "N", ["feigned"] = "N", ["maximalist"] = "N" }, [], null);
        return s.Log.AppendAsync(stream, ExpectedVersion.Any, [new EventData(Guid.NewGuid(), item)], ct);
    }

    /// <summary>
    /// Steady state before the clock starts: one probe must come through the running stack (daemon polling, relay,
    /// Wolverine's queue, handler code compiled), so that the percentiles measure the steady rate and not start-up.
    /// </summary>
    private async Task WarmUpAsync(NarrativeServices s, string tag, CancellationToken ct)
    {
        var id = $"warm-{tag}";
        await AppendProbeAsync(s, $"lag-{tag}-warm", id, ct);
        var sql = handler
            ? $"select count(*) from {EventStoreSetup.Schema}.mt_events where type = '{EffectType}' and data->>'itemId' = $1"
            : "select count(*) from rm_analysis.items where item_id = $1";
        var until = DateTime.UtcNow.AddSeconds(60);
        while (DateTime.UtcNow < until)
        {
            await using var cmd = s.DataSource.CreateCommand(sql);
            cmd.Parameters.Add(new() { Value = id });
            if ((long)(await cmd.ExecuteScalarAsync(ct))! > 0) return;
            await Task.Delay(10, ct);
        }
        throw new InvalidOperationException($"{Name}: the warm-up probe was not processed within 60 s");
    }
}
