using System.Diagnostics;
using System.Text.Json;
using Narrative.Benchmarks.Harness;
using Narrative.Storage;

namespace Narrative.Benchmarks.Scenarios;

/// <summary>
/// The event store's own rows, on Marten's <c>narrative.mt_events</c>. The raw side writes to
/// <c>narrative.raw_events</c>, created <c>like mt_events including all</c> (same columns, defaults, indexes and
/// unique constraints) with a sequence of its own for <c>seq_id</c>. It has no foreign key to <c>mt_streams</c> and
/// the raw side writes no stream row: the stream upsert (and its check) is part of what Marten costs.
/// </summary>
public static class EventStoreScenarios
{
    public static IEnumerable<Scenario> All() =>
    [
        new BatchedAppendScenario(),
        // Runs right after the batched row, whose last (ours) run leaves exactly the data set it reads.
        new ReadAllScenario(),
        // After read.all: its runs leave rows without the hash header, which read.all must not read.
        new MartenBatchedAppendScenario(),
        new SingleAppendScenario(concurrency: 1),
        new SingleAppendScenario(concurrency: 16),
    ];

    internal const string Events = EventStoreSetup.Schema + ".mt_events";
    internal const string Raw = EventStoreSetup.Schema + ".raw_events";

    /// <summary>Fresh, identical tables for the next run: no rows, sequences restarted, a checkpoint so none lands mid-run.</summary>
    internal static async Task ResetTablesAsync(BenchContext ctx, CancellationToken ct)
    {
        await ctx.ExecAsync($"""
            create table if not exists {Raw} (like {Events} including all);
            create sequence if not exists {Raw}_seq owned by {Raw}.seq_id;
            alter table {Raw} alter column seq_id set default nextval('{Raw}_seq');
            """, ct);
        await ctx.ExecAsync($"truncate {Events}, {EventStoreSetup.Schema}.mt_streams, {Raw} restart identity", ct);
        // Marten's sequence is not owned by its column, so "restart identity" may leave it: restart both by hand.
        await ctx.ExecAsync($"alter sequence {EventStoreSetup.Schema}.mt_events_sequence restart; alter sequence {Raw}_seq restart", ct);
        await ctx.ExecAsync("checkpoint", ct);
    }

    /// <summary>
    /// Checks that both sides wrote the same rows: every column but seq_id and timestamp, compared as jsonb. Run after
    /// a warm-up, untimed; a difference means the raw side is not doing the same work.
    /// </summary>
    internal static async Task CheckIdenticalAsync(BenchContext ctx, CancellationToken ct)
    {
        var diff = await ctx.ScalarAsync<long>($"""
            select count(*) from (
              (select to_jsonb(e) - 'seq_id' - 'timestamp' from {Events} e except all select to_jsonb(r) - 'seq_id' - 'timestamp' from {Raw} r)
              union all
              (select to_jsonb(r) - 'seq_id' - 'timestamp' from {Raw} r except all select to_jsonb(e) - 'seq_id' - 'timestamp' from {Events} e)) d
            """, ct);
        var n = await ctx.ScalarAsync<long>($"select count(*) from {Events}", ct);
        if (diff != 0 || n == 0)
        {
            var sample = await ctx.ScalarAsync<string>($"""
                select coalesce((select (to_jsonb(e) - 'seq_id' - 'timestamp')::text from {Events} e order by seq_id limit 1), '') || E'\n' ||
                       coalesce((select (to_jsonb(r) - 'seq_id' - 'timestamp')::text from {Raw} r order by seq_id limit 1), '')
                """, ct);
            throw new InvalidOperationException($"raw_events differs from mt_events in {diff} row(s) of {n}:\n{sample}");
        }
        Console.WriteLine($"    checked: the raw side wrote the same {n:N0} rows as Marten (every column but seq_id and timestamp)");
    }

    internal static double PerSecond(long count, TimeSpan elapsed) => count / elapsed.TotalSeconds;
}

/// <summary>append.batched: each call appends 1,000 events to its own new stream.</summary>
public sealed class BatchedAppendScenario : Scenario
{
    internal const int Salt = 1;
    internal const string Prefix = "b";
    public const int PerCall = 1_000;

    public override string Name => "append.batched";
    public override string Unit => "events/s";
    public override double? Target => 0.7;

    public static int Calls(BenchOptions o) => o.Size(quick: 50, full: 1_000);

    public override string Describe(BenchOptions o) =>
        $"{Calls(o):N0} calls × {PerCall:N0} events (one new stream per call), EventLog.AppendAsync vs raw unnest multi-row insert of the same rows";

    public override Task SetupAsync(BenchContext ctx, CancellationToken ct)
    {
        var sample = RawRows.For(ctx.Log, BenchEvents.StreamId(Prefix, 0), BenchEvents.Create(Salt, 0, 1, PerCall));
        Console.WriteLine($"    payload: data {sample.Data.Average(d => System.Text.Encoding.UTF8.GetByteCount(d)):0} bytes of JSON on average");
        return Task.CompletedTask;
    }

    public override async Task WarmUpAsync(BenchContext ctx, CancellationToken ct)
    {
        await EventStoreScenarios.ResetTablesAsync(ctx, ct);
        await RunOursAsync(ctx, 3, ct);
        await RunRawAsync(ctx, 3, ct);
        await EventStoreScenarios.CheckIdenticalAsync(ctx, ct);
    }

    public override Task ResetAsync(BenchContext ctx, Side side, CancellationToken ct) => EventStoreScenarios.ResetTablesAsync(ctx, ct);

    public override Task<double> RunOursAsync(BenchContext ctx, CancellationToken ct) => RunOursAsync(ctx, Calls(ctx.Options), ct);

    public override Task<double> RunRawAsync(BenchContext ctx, CancellationToken ct) => RunRawAsync(ctx, Calls(ctx.Options), ct);

    /// <summary>Also the loader for read.all: the log writes the data set that the read rows then read.</summary>
    internal static async Task<double> RunOursAsync(BenchContext ctx, int calls, CancellationToken ct)
    {
        var timed = new Stopwatch();
        for (var s = 0; s < calls; s++)
        {
            var events = BenchEvents.Create(Salt, s, 1, PerCall);
            timed.Start();
            await ctx.Log.AppendAsync(BenchEvents.StreamId(Prefix, s), ExpectedVersion.NoStream, events, ct);
            timed.Stop();
        }
        return EventStoreScenarios.PerSecond((long)calls * PerCall, timed.Elapsed);
    }

    internal static async Task<double> RunRawAsync(BenchContext ctx, int calls, CancellationToken ct)
    {
        var timed = new Stopwatch();
        for (var s = 0; s < calls; s++)
        {
            var stream = BenchEvents.StreamId(Prefix, s);
            var rows = RawRows.For(ctx.Log, stream, BenchEvents.Create(Salt, s, 1, PerCall));
            await using var cmd = rows.MultiRowInsert(ctx.Db);
            timed.Start();
            await cmd.ExecuteNonQueryAsync(ct);
            timed.Stop();
        }
        return EventStoreScenarios.PerSecond((long)calls * PerCall, timed.Elapsed);
    }
}

/// <summary>
/// append.batched.marten: the same 1,000-event batches through a bare Marten session (the same Append call with the
/// expected version, event ids and metadata, quick append), without what <see cref="EventLog"/> adds: no head read,
/// no duplicate-id check, no hash chain. No target: it shows what Marten's own append path costs against the same raw
/// insert, and so how much of append.batched's ratio is Marten's and how much ours.
/// </summary>
public sealed class MartenBatchedAppendScenario : Scenario
{
    private const string Prefix = "m";

    public override string Name => "append.batched.marten";
    public override string Unit => "events/s";

    public override string Describe(BenchOptions o) =>
        $"{BatchedAppendScenario.Calls(o):N0} calls × {BatchedAppendScenario.PerCall:N0} events (one new stream per call), a bare Marten session " +
        "(Events.Append with the expected version, quick append; no head read, duplicate check or hash chain) vs append.batched's raw insert";

    public override async Task WarmUpAsync(BenchContext ctx, CancellationToken ct)
    {
        await EventStoreScenarios.ResetTablesAsync(ctx, ct);
        await RunOursAsync(ctx, 3, ct);
        await BatchedAppendScenario.RunRawAsync(ctx, 3, ct);
    }

    public override Task ResetAsync(BenchContext ctx, Side side, CancellationToken ct) => EventStoreScenarios.ResetTablesAsync(ctx, ct);

    public override Task<double> RunOursAsync(BenchContext ctx, CancellationToken ct) => RunOursAsync(ctx, BatchedAppendScenario.Calls(ctx.Options), ct);

    public override Task<double> RunRawAsync(BenchContext ctx, CancellationToken ct) =>
        BatchedAppendScenario.RunRawAsync(ctx, BatchedAppendScenario.Calls(ctx.Options), ct);

    private static async Task<double> RunOursAsync(BenchContext ctx, int calls, CancellationToken ct)
    {
        var timed = new Stopwatch();
        for (var s = 0; s < calls; s++)
        {
            var events = BenchEvents.Create(BatchedAppendScenario.Salt, s, 1, BatchedAppendScenario.PerCall);
            timed.Start();
            // Disposed inside the timed part, as EventLog.AppendAsync disposes its connection inside append.batched's.
            await using (var session = ctx.Log.Store.LightweightSession())
            {
                var built = new object[events.Count];
                for (var i = 0; i < events.Count; i++)
                {
                    var ev = session.Events.BuildEvent(events[i].Data);
                    ev.Id = events[i].EventId;
                    ev.CorrelationId = events[i].Metadata?.CorrelationId;
                    ev.CausationId = events[i].Metadata?.CausationId;
                    built[i] = ev;
                }
                session.LastModifiedBy = events[0].Metadata?.Actor;
                session.Events.Append(BenchEvents.StreamId(Prefix, s), events.Count, built);
                await session.SaveChangesAsync(ct);
            }
            timed.Stop();
        }
        return EventStoreScenarios.PerSecond((long)calls * BatchedAppendScenario.PerCall, timed.Elapsed);
    }
}

/// <summary>append.single.cN: N writers, each appending one event per call to its own stream with an exact expected version.</summary>
public sealed class SingleAppendScenario(int concurrency) : Scenario
{
    private const int Salt = 2;
    private List<EventData>[] _events = [];
    private RawRows[] _rows = [];

    public override string Name => $"append.single.c{concurrency}";
    public override string Unit => "events/s";

    private int PerWriter(BenchOptions o) => concurrency == 1 ? o.Size(quick: 1_000, full: 10_000) : o.Size(quick: 150, full: 1_500);

    private string Stream(int writer) => BenchEvents.StreamId($"s{concurrency}", writer);

    public override string Describe(BenchOptions o) =>
        $"{concurrency} writer(s) × {PerWriter(o):N0} single-event EventLog.AppendAsync calls vs raw autocommit single-row inserts";

    public override Task SetupAsync(BenchContext ctx, CancellationToken ct)
    {
        var n = PerWriter(ctx.Options);
        _events = Enumerable.Range(0, concurrency).Select(w => BenchEvents.Create(Salt, concurrency * 1_000 + w, 1, n)).ToArray();
        _rows = Enumerable.Range(0, concurrency).Select(w => RawRows.For(ctx.Log, Stream(w), _events[w])).ToArray();
        return Task.CompletedTask;
    }

    public override async Task WarmUpAsync(BenchContext ctx, CancellationToken ct)
    {
        await EventStoreScenarios.ResetTablesAsync(ctx, ct);
        await RunAsync(Math.Min(50, PerWriter(ctx.Options)), (w, i) => OursOne(ctx, w, i, ct));
        await RunAsync(Math.Min(50, PerWriter(ctx.Options)), (w, i) => RawOne(ctx, w, i, ct));
        await EventStoreScenarios.CheckIdenticalAsync(ctx, ct);
    }

    public override Task ResetAsync(BenchContext ctx, Side side, CancellationToken ct) => EventStoreScenarios.ResetTablesAsync(ctx, ct);

    public override Task<double> RunOursAsync(BenchContext ctx, CancellationToken ct) =>
        RunAsync(PerWriter(ctx.Options), (w, i) => OursOne(ctx, w, i, ct));

    public override Task<double> RunRawAsync(BenchContext ctx, CancellationToken ct) =>
        RunAsync(PerWriter(ctx.Options), (w, i) => RawOne(ctx, w, i, ct));

    private async Task OursOne(BenchContext ctx, int writer, int i, CancellationToken ct) =>
        await ctx.Log.AppendAsync(Stream(writer), ExpectedVersion.Exactly(i), [_events[writer][i]], ct);

    private async Task RawOne(BenchContext ctx, int writer, int i, CancellationToken ct)
    {
        await using var cmd = _rows[writer].SingleRowInsert(ctx.Db, i);
        await cmd.ExecuteNonQueryAsync(ct);
    }

    private async Task<double> RunAsync(int perWriter, Func<int, int, Task> appendOne)
    {
        var sw = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, concurrency).Select(w => Task.Run(async () =>
        {
            for (var i = 0; i < perWriter; i++) await appendOne(w, i);
        })));
        sw.Stop();
        return EventStoreScenarios.PerSecond((long)perWriter * concurrency, sw.Elapsed);
    }
}

/// <summary>
/// read.all: every event in position order, deserialised. Ours streams EventLog.StreamAllAsync (one query over
/// mt_events) and deserialises each event's data with Marten's serializer (EventLog.Deserialize); raw streams the same
/// columns of the same table with one ordered NpgsqlDataReader and System.Text.Json.
/// </summary>
public sealed class ReadAllScenario : Scenario
{
    public override string Name => "read.all";
    public override string Unit => "events/s";
    public override double? Target => 0.6;

    private static long Expected(BenchOptions o) => (long)BatchedAppendScenario.Calls(o) * BatchedAppendScenario.PerCall;

    public override string Describe(BenchOptions o) =>
        $"{Expected(o):N0} events, EventLog.StreamAllAsync + Marten's deserialisation vs one ordered NpgsqlDataReader + System.Text.Json";

    public override async Task SetupAsync(BenchContext ctx, CancellationToken ct)
    {
        var expected = Expected(ctx.Options);
        var have = await ctx.ScalarAsync<long>($"select count(*) from {EventStoreScenarios.Events}", ct);
        if (have != expected)
        {
            Console.WriteLine($"    loading {expected:N0} events through the log (untimed)");
            await EventStoreScenarios.ResetTablesAsync(ctx, ct);
            await BatchedAppendScenario.RunOursAsync(ctx, BatchedAppendScenario.Calls(ctx.Options), ct);
        }
        await ctx.ExecAsync($"truncate {EventStoreScenarios.Raw}", ct);
        // Set hint bits and the visibility map now, so the first timed reader does not pay for writing them.
        await ctx.ExecAsync($"vacuum (freeze, analyze) {EventStoreScenarios.Events}", ct);
        await ctx.ExecAsync("checkpoint", ct);
    }

    public override async Task WarmUpAsync(BenchContext ctx, CancellationToken ct)
    {
        await RunOursAsync(ctx, 20_000, ct);
        await RunRawAsync(ctx, 20_000, ct);
    }

    public override Task<double> RunOursAsync(BenchContext ctx, CancellationToken ct) => RunOursAsync(ctx, long.MaxValue, ct);

    public override Task<double> RunRawAsync(BenchContext ctx, CancellationToken ct) => RunRawAsync(ctx, long.MaxValue, ct);

    private static async Task<double> RunOursAsync(BenchContext ctx, long max, CancellationToken ct)
    {
        var sw = Stopwatch.StartNew();
        long count = 0, deserialised = 0;
        await foreach (var e in ctx.Log.StreamAllAsync(0, ct))
        {
            if (ctx.Log.Deserialize(e) is BenchItemRecorded) deserialised++;
            if (++count >= max) break;
        }
        sw.Stop();
        return Checked(ctx, count, deserialised, max, sw.Elapsed);
    }

    private static async Task<double> RunRawAsync(BenchContext ctx, long max, CancellationToken ct)
    {
        var sw = Stopwatch.StartNew();
        var (count, deserialised) = await RawReadAllAsync(ctx.Db,
            (_, data) => JsonSerializer.Deserialize<BenchItemRecorded>(data, BenchEvents.Json) is not null, max, ct);
        sw.Stop();
        return Checked(ctx, count, deserialised, max, sw.Elapsed);
    }

    /// <summary>
    /// read.all's raw read: the columns StreamAllAsync reads, from mt_events in seq_id order through one
    /// NpgsqlDataReader, each event's data handed to <paramref name="deserialise"/> (type, json). Also the baseline of
    /// the rebuild rows.
    /// </summary>
    internal static async Task<(long Count, long Deserialised)> RawReadAllAsync(Npgsql.NpgsqlDataSource db, Func<string, string, bool> deserialise,
        long max, CancellationToken ct)
    {
        long count = 0, deserialised = 0;
        await using var cmd = db.CreateCommand($"""
            select seq_id, stream_id, version, id, type, data::text, correlation_id, causation_id, user_name, timestamp, headers->>'sha256'
            from {EventStoreScenarios.Events} order by seq_id limit $1
            """);
        cmd.Parameters.Add(new Npgsql.NpgsqlParameter<long> { TypedValue = max });
        cmd.CommandTimeout = 0;
        await using var reader = await cmd.ExecuteReaderAsync(System.Data.CommandBehavior.SequentialAccess, ct);
        while (await reader.ReadAsync(ct))
        {
            _ = reader.GetInt64(0);
            _ = reader.GetString(1);
            _ = reader.GetInt64(2);
            _ = reader.GetGuid(3);
            var type = reader.GetString(4);
            var data = reader.GetString(5);
            for (var c = 6; c <= 8; c++) _ = reader.IsDBNull(c) ? null : reader.GetString(c);
            _ = reader.GetFieldValue<DateTimeOffset>(9);
            _ = reader.IsDBNull(10) ? null : reader.GetString(10);
            if (deserialise(type, data)) deserialised++;
            count++;
        }
        return (count, deserialised);
    }

    private static double Checked(BenchContext ctx, long count, long deserialised, long max, TimeSpan elapsed)
    {
        var expected = Math.Min(max, Expected(ctx.Options));
        if (count < expected || deserialised != count)
            throw new InvalidOperationException($"read.all read {count:N0} events ({deserialised:N0} deserialised), expected {expected:N0}");
        return EventStoreScenarios.PerSecond(count, elapsed);
    }
}
