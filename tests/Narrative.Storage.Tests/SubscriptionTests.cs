using Narrative.Storage.Subscriptions;
using Narrative.Testing;
using Npgsql;

namespace Narrative.Storage.Tests;

/// <summary>Writes one row per event it sees, with no unique key: a duplicate delivery would show as a second row.</summary>
public sealed class SeenProjection(string name = "seen") : IRebuildableProjection
{
    public string Name => name;
    public string Kind => "projection";
    public string Schema => "rm_" + name;

    public async Task CreateTablesAsync(NpgsqlConnection conn, NpgsqlTransaction tx, string schema, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand($"create table {schema}.seen (position bigint not null, stream text not null, text text)", conn, tx);
        await cmd.ExecuteNonQueryAsync(ct);
    }

    public async Task HandleAsync(SubscriptionBatch batch, CancellationToken ct)
    {
        foreach (var e in batch.Events)
        {
            await using var cmd = new NpgsqlCommand($"insert into {batch.Schema}.seen values ($1, $2, $3)", batch.Connection, batch.Transaction);
            cmd.Parameters.Add(new() { Value = e.Position });
            cmd.Parameters.Add(new() { Value = e.StreamId });
            cmd.Parameters.Add(new() { Value = ((Noted)batch.Store.Types.Deserialize(e)!).Text });
            await cmd.ExecuteNonQueryAsync(ct);
        }
    }
}

[Collection(PostgresCollection.Name)]
public sealed class SubscriptionTests(PostgresFixture pg) : StoreTest(pg)
{
    private static readonly SubscriptionOptions Fast = new() { PollInterval = TimeSpan.FromMilliseconds(100), BatchSize = 7 };

    private async Task AppendMany(int count, string prefix)
    {
        for (var i = 0; i < count; i++)
            await Store.AppendAsync($"{prefix}-{i % 5}", ExpectedVersion.Any, [TestEvents.Note($"{prefix} {i}", i)], default);
    }

    private async Task<long> Scalar(string sql)
    {
        await using var cmd = Db.CreateCommand(sql);
        return Convert.ToInt64(await cmd.ExecuteScalarAsync(), System.Globalization.CultureInfo.InvariantCulture);
    }

    private async Task WaitFor(Func<Task<bool>> condition, int seconds = 30)
    {
        var until = DateTime.UtcNow.AddSeconds(seconds);
        while (!await condition())
        {
            if (DateTime.UtcNow > until) throw new TimeoutException("condition not reached");
            await Task.Delay(50);
        }
    }

    [Fact]
    public async Task two_daemons_at_once_write_the_read_model_once()
    {
        await AppendMany(60, "a");
        using var cts = new CancellationTokenSource();
        var d1 = new SubscriptionDaemon(Store, [new SeenProjection()], Fast with { NodeId = "node-1" }).RunAsync(cts.Token);
        var d2 = new SubscriptionDaemon(Store, [new SeenProjection()], Fast with { NodeId = "node-2" }).RunAsync(cts.Token);
        await AppendMany(60, "b");

        await WaitFor(async () => await Scalar("select count(*) from rm_seen.seen") >= 120);
        await Task.Delay(300);
        Assert.Equal(120, await Scalar("select count(*) from rm_seen.seen"));
        Assert.Equal(120, await Scalar("select count(distinct position) from rm_seen.seen"));
        var status = Assert.Single(await SubscriptionStatusQuery.ReadAsync(Db, default));
        Assert.Equal(0, status.Lag);
        Assert.Contains(status.Owner, new[] { "node-1", "node-2" });
        await cts.CancelAsync();
        await Task.WhenAll(d1, d2);
    }

    [Fact]
    public async Task a_standby_takes_over_when_the_owner_stops()
    {
        using var owner = new CancellationTokenSource();
        using var standby = new CancellationTokenSource();
        var d1 = new SubscriptionRunner(Store, new SeenProjection(), Fast with { NodeId = "owner" });
        await ProjectionRebuilder.EnsureCreatedAsync(Store, new SeenProjection(), default);
        var t1 = d1.RunAsync(owner.Token);
        await AppendMany(10, "a");
        await WaitFor(async () => await Scalar("select count(*) from rm_seen.seen") == 10);
        var t2 = new SubscriptionRunner(Store, new SeenProjection(), Fast with { NodeId = "standby" }).RunAsync(standby.Token);

        await owner.CancelAsync();
        await t1;
        await AppendMany(10, "b");
        await WaitFor(async () => await Scalar("select count(*) from rm_seen.seen") == 20);
        Assert.Equal("standby", (await SubscriptionStatusQuery.ReadAsync(Db, default)).Single().Owner);
        await standby.CancelAsync();
        await t2;
    }

    [Fact]
    public async Task a_daemon_stopped_while_starting_returns_without_an_error()
    {
        // Cancelled before it starts, and at a few moments during start-up (the benchmark's catch-up found this).
        foreach (var after in new[] { -1, 0, 1, 5, 20 })
        {
            using var cts = new CancellationTokenSource();
            if (after < 0) await cts.CancelAsync();
            var run = new SubscriptionDaemon(Store, [new SeenProjection()], Fast).RunAsync(cts.Token);
            if (after >= 0)
            {
                await Task.Delay(after);
                await cts.CancelAsync();
            }
            await run.WaitAsync(TimeSpan.FromSeconds(30));
            Assert.True(run.IsCompletedSuccessfully, $"cancelled after {after} ms: {run.Status}");
        }
    }

    [Fact]
    public async Task a_rebuild_gives_exactly_what_incremental_processing_gave()
    {
        using var cts = new CancellationTokenSource();
        var daemon = new SubscriptionDaemon(Store, [new SeenProjection()], Fast).RunAsync(cts.Token);
        await AppendMany(50, "a");
        await WaitFor(async () => await Scalar("select count(*) from rm_seen.seen") == 50);
        var before = await Dump();

        var reports = new List<RebuildProgress>();
        // Appends keep arriving while the rebuild runs.
        var writer = AppendMany(20, "during");
        await ProjectionRebuilder.RebuildAsync(Store, new SeenProjection(), new SyncProgress(reports), default, batchSize: 10);
        await writer;
        await WaitFor(async () => await Scalar("select count(*) from rm_seen.seen") == 70);

        var after = await Dump();
        Assert.Equal(before, after.Where(r => !r.StartsWith("during", StringComparison.Ordinal)).ToList());
        Assert.Equal(70, after.Count);
        Assert.Equal(70, await Scalar("select count(distinct position) from rm_seen.seen"));
        Assert.True(reports.Count >= 5);
        Assert.Equal(1.0, reports[^1].Fraction);
        await cts.CancelAsync();
        await daemon;
    }

    [Fact]
    public async Task a_failing_projection_shows_its_error_in_status_and_recovers()
    {
        using var cts = new CancellationTokenSource();
        var flaky = new FlakyProjection(failures: 2);
        var run = new SubscriptionDaemon(Store, [flaky], Fast).RunAsync(cts.Token);
        await AppendMany(3, "x");
        await WaitFor(async () => (await SubscriptionStatusQuery.ReadAsync(Db, default)).SingleOrDefault()?.LastError is not null);
        Assert.Contains("boom", (await SubscriptionStatusQuery.ReadAsync(Db, default)).Single().LastError);
        await WaitFor(async () => (await SubscriptionStatusQuery.ReadAsync(Db, default)).Single() is { Lag: 0, LastError: null });
        Assert.Equal(3, flaky.Handled);
        await cts.CancelAsync();
        await run;
    }

    private async Task<List<string>> Dump()
    {
        var rows = new List<string>();
        await using var cmd = Db.CreateCommand("select text, position from rm_seen.seen order by position");
        await using var r = await cmd.ExecuteReaderAsync();
        while (await r.ReadAsync()) rows.Add($"{r.GetString(0)}@{r.GetInt64(1)}");
        return rows;
    }

    private sealed class SyncProgress(List<RebuildProgress> sink) : IProgress<RebuildProgress>
    {
        public void Report(RebuildProgress value) => sink.Add(value);
    }

    private sealed class FlakyProjection(int failures) : ISubscription
    {
        private int _failures = failures;
        public string Name => "flaky";
        public string Kind => "projection";
        public int Handled { get; private set; }

        public Task HandleAsync(SubscriptionBatch batch, CancellationToken ct)
        {
            if (_failures-- > 0) throw new InvalidOperationException("boom");
            Handled += batch.Events.Count;
            return Task.CompletedTask;
        }
    }
}
