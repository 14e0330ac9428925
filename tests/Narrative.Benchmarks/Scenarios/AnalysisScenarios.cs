using System.Diagnostics;
using System.Text.Json;
using Narrative.Analysis;
using Narrative.Analysis.Queries;
using Narrative.Analysis.ReadModel;
using Narrative.Benchmarks.Harness;
using Narrative.Domain;
using Narrative.Domain.Replay;
using Narrative.Storage;
using Narrative.Storage.Handlers;
using Narrative.Storage.Subscriptions;
using Npgsql;

namespace Narrative.Benchmarks.Scenarios;

public static class AnalysisScenarios
{
    public static IEnumerable<Scenario> All() =>
    [
        new RebuildScenario(),
        // Runs after the rebuild, which leaves the read model populated.
        new QueryAssessmentScenario("query.assessment.p95", cached: true, limitMs: 20),
        new QueryAssessmentScenario("query.assessment.uncached.p95", cached: false, limitMs: null),
        new LagScenario("projection.lag.p99", handler: false, limitMs: 200),
        new LagScenario("handler.lag.p99", handler: true, limitMs: 100),
    ];

    internal static double Percentile(List<double> values, double p)
    {
        values.Sort();
        return values.Count == 0 ? 0 : values[Math.Clamp((int)Math.Ceiling(p * values.Count) - 1, 0, values.Count - 1)];
    }
}

/// <summary>rebuild.assessment: events/s replayed into fresh read-model tables and swapped in, against a raw read of the same events.</summary>
public sealed class RebuildScenario : Scenario
{
    public override string Name => "rebuild.assessment";
    public override string Unit => "events/s";
    public override double? Target => 0.5;

    public override string Describe(BenchOptions o) =>
        $"ProjectionRebuilder over the synthetic corpus ({o.Size(110_000, 1_000_000):N0} events: replay into index-free tables, build indexes, analyse, swap; the database vacuumed, untimed, before each repetition; after one untimed run of each side) vs read.all's raw read (every column, ordered, deserialised) of the same events";

    public override async Task SetupAsync(BenchContext ctx, CancellationToken ct) => await AnalysisBench.GetAsync(ctx, ct);

    /// <summary>
    /// One whole untimed run of each side. The first rebuild in a process also pays for compiling its code (tiered JIT:
    /// about 3 s of CPU on two cores, measured as 9.0-9.3 s cold against 6.8-7.2 s warm on 1M events), a cost of starting
    /// the process that the timed repetitions should not mix with the rebuild's own.
    /// </summary>
    public override async Task WarmUpAsync(BenchContext ctx, CancellationToken ct)
    {
        await RunRawAsync(ctx, ct);
        await RunOursAsync(ctx, ct);
    }

    public override async Task<double> RunOursAsync(BenchContext ctx, CancellationToken ct)
    {
        var b = await AnalysisBench.GetAsync(ctx, ct);
        // The tables the previous repetition swapped in are new, so autovacuum is about to visit them. Let that happen
        // now, untimed, rather than on the cores this rebuild is timed on.
        await using (var vacuum = b.Services.DataSource.CreateCommand("vacuum"))
        {
            vacuum.CommandTimeout = 0;
            await vacuum.ExecuteNonQueryAsync(ct);
        }
        var sw = Stopwatch.StartNew();
        await ProjectionRebuilder.RebuildAsync(b.Services.Store, b.Services.Projection(AnalysisProjection.ProjectionName)!, null, ct);
        return b.Events / sw.Elapsed.TotalSeconds;
    }

    public override async Task<double> RunRawAsync(BenchContext ctx, CancellationToken ct)
    {
        var b = await AnalysisBench.GetAsync(ctx, ct);
        var types = b.Services.Store.Types;
        var sw = Stopwatch.StartNew();
        var (n, deserialised) = await ReadAllScenario.RawReadAllAsync(b.Services.DataSource,
            (type, data) => types.TypeOf(type) is { } t && JsonSerializer.Deserialize(data, t, types.Json) is not null, long.MaxValue, ct);
        sw.Stop();
        if (n != b.Events || deserialised != n) throw new InvalidOperationException($"raw read {n:N0} events ({deserialised:N0} deserialised), expected {b.Events:N0}");
        return n / sw.Elapsed.TotalSeconds;
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
/// projection.lag.p99 / handler.lag.p99: a steady 500 appends/s; for each event, the time from its append's commit
/// until a poller (every 2 ms) sees its effect: the read-model row (projection) or the handler's effect row. Raw: the
/// same poller watching the events table itself, i.e. the floor set by commit visibility and polling.
/// </summary>
public sealed class LagScenario(string name, bool handler, double limitMs) : Scenario
{
    public override string Name => name;
    public override string Unit => "ms";
    public override Direction Direction => Direction.LowerIsBetter;
    public override double? Limit => limitMs;

    private static int Seconds(BenchOptions o) => o.Size(4, 20);

    public override string Describe(BenchOptions o) =>
        $"500 appends/s for {Seconds(o)} s; p99 of commit → {(handler ? "handler effect (inbox + effect row, daemon in-process)" : "rm_analysis row (daemon in-process)")} vs commit → visible in events";

    public override async Task SetupAsync(BenchContext ctx, CancellationToken ct)
    {
        var b = await AnalysisBench.GetAsync(ctx, ct);
        // The poller needs an index on the read model's position; a bench-only index, which makes projection writes a bit dearer.
        await using (var ix = b.Services.DataSource.CreateCommand("create index if not exists bench_items_position on rm_analysis.items (position)"))
            await ix.ExecuteNonQueryAsync(ct);
        await using var cmd = b.Services.DataSource.CreateCommand("create table if not exists bench_effects (id bigserial primary key, item_id text unique not null, at timestamptz default clock_timestamp())");
        await cmd.ExecuteNonQueryAsync(ct);
    }

    public override Task<double> RunOursAsync(BenchContext ctx, CancellationToken ct) => RunAsync(ctx, ours: true, ct);

    public override Task<double> RunRawAsync(BenchContext ctx, CancellationToken ct) => RunAsync(ctx, ours: false, ct);

    private async Task<double> RunAsync(BenchContext ctx, bool ours, CancellationToken ct)
    {
        var b = await AnalysisBench.GetAsync(ctx, ct);
        var s = b.Services;
        if (ours && !handler) await b.CatchUpAsync(ct);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var options = new SubscriptionOptions { PollInterval = TimeSpan.FromMilliseconds(500), NodeId = "bench" };
        Task daemon = Task.CompletedTask;
        var tag = Guid.NewGuid().ToString("N")[..8];
        if (ours)
        {
            IReadOnlyList<ISubscription> subs = handler
                ? new HandlerRegistry().Add($"bench.effects.{tag}", () => new EffectHandler()).CreateSubscriptions(s.Store.Types)
                : s.Projections;
            if (handler)
            {
                // A new handler starts at position 0: place its checkpoint at the head so it only sees the run's events.
                var head = await s.Store.HeadAsync(ct);
                await using var cp = s.DataSource.CreateCommand("insert into checkpoints (name, kind, tx_id, position) values ($1, 'handler', $2, $3)");
                cp.Parameters.Add(new() { Value = $"bench.effects.{tag}" });
                cp.Parameters.Add(new() { Value = head.TxId });
                cp.Parameters.Add(new() { Value = head.Position });
                await cp.ExecuteNonQueryAsync(ct);
            }
            daemon = new SubscriptionDaemon(s.Store, subs, options).RunAsync(stop.Token);
            await WarmUpAsync(s, tag, ct);
        }

        var committed = new System.Collections.Concurrent.ConcurrentDictionary<string, long>();
        var seen = new System.Collections.Concurrent.ConcurrentDictionary<string, long>();
        var total = 500 * Seconds(ctx.Options);
        var startPosition = await s.Store.HeadAsync(ct);
        var poller = Task.Run(async () =>
        {
            // Each poll reads only rows past the last one seen (by position), through an index.
            // Light, indexed polls (a margin re-reads rows that may have committed out of order), so the poller does not
            // steal the CPU the daemon needs on a 2-core machine.
            var sql = !ours ? "select data->>'itemId', position from events where position > $1 order by position"
                : handler ? "select item_id, id from bench_effects where id > $1"
                : "select item_id, position from rm_analysis.items where position > $1";
            long last = handler && ours ? 0 : startPosition.Position;
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

        var started = Stopwatch.GetTimestamp();
        for (var i = 0; i < total; i++)
        {
            var due = started + (long)(i * Stopwatch.Frequency / 500.0);
            while (Stopwatch.GetTimestamp() < due) await Task.Delay(1, ct);
            var id = $"lag-{tag}-{i}";
            await AppendProbeAsync(s, $"lag-{tag}-{i % 50}", id, ct);
            committed[id] = Stopwatch.GetTimestamp();
        }
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (seen.Count < total && DateTime.UtcNow < deadline) await Task.Delay(20, ct);
        await stop.CancelAsync();
        try { await poller; } catch (OperationCanceledException) { }
        await daemon;
        if (seen.Count < total) throw new InvalidOperationException($"{Name}: only {seen.Count} of {total} effects seen");
        var lags = committed.Select(kv => (seen[kv.Key] - kv.Value) * 1000.0 / Stopwatch.Frequency).Select(x => Math.Max(0, x)).ToList();
        return AnalysisScenarios.Percentile(lags, 0.99);
    }

    /// <summary>One probe: an item of its own claim in the "bench-lag" topic, appended alone.</summary>
    private static Task AppendProbeAsync(NarrativeServices s, string stream, string id, CancellationToken ct)
    {
        var item = new ItemRecorded(id, "lag-doc", "s0", AnalysisBench.PeriodEnd, "bench-lag", "report", id, "lag probe", null, null, null, 3,
            new Dictionary<string, string> { ["genuine"] = "N", ["feigned"] = "N", ["maximalist"] = "N" }, [], null);
        return s.Store.AppendAsync(stream, ExpectedVersion.Any, [new EventData(Guid.NewGuid(), item, DateTimeOffset.UtcNow)], ct);
    }

    /// <summary>
    /// Steady state before the clock starts: one probe must come through the running daemon (subscription owned, LISTEN
    /// in place, code paths compiled), so that the percentiles measure the steady 500/s and not the daemon's start-up.
    /// </summary>
    private async Task WarmUpAsync(NarrativeServices s, string tag, CancellationToken ct)
    {
        var id = $"warm-{tag}";
        await AppendProbeAsync(s, $"lag-{tag}-warm", id, ct);
        var sql = handler ? "select count(*) from bench_effects where item_id = $1" : "select count(*) from rm_analysis.items where item_id = $1";
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

    /// <summary>The handler under test: one effect row per item, in the handler's transaction.</summary>
    public sealed class EffectHandler
    {
        public async Task Handle(ItemRecorded e, HandlerContext ctx, CancellationToken ct)
        {
            await using var cmd = new NpgsqlCommand("insert into bench_effects (item_id) values ($1) on conflict do nothing", ctx.Connection, ctx.Transaction);
            cmd.Parameters.Add(new() { Value = e.ItemId });
            await cmd.ExecuteNonQueryAsync(ct);
        }
    }
}
