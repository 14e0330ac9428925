using System.Collections.Concurrent;
using System.Diagnostics;
using Narrative.Storage.Handlers;
using Narrative.Storage.Postgres;
using Narrative.Testing;
using Npgsql;
using static Narrative.Storage.Tests.Handlers.HandlerTestKit;

namespace Narrative.Storage.Tests.Handlers;

[Collection(PostgresCollection.Name)]
public sealed class HandlerFailoverTests(PostgresFixture pg)
{
    [Fact]
    public async Task when_the_owning_process_is_killed_mid_batch_the_other_takes_over_and_no_effect_is_lost_or_duplicated()
    {
        await using var db = await pg.CreateStoreDatabaseAsync();
        var store = new EventStore(db, TestEvents.Registry);
        await Exec(db, "create table handler_effects (event_id uuid not null, position bigint not null, node text not null)");
        var ids = new List<Guid>();
        for (var i = 0; i < 100; i++)
        {
            var e = TestEvents.Note($"n{i}", i);
            ids.Add(e.EventId);
            await store.AppendAsync($"notes-{i % 7}", ExpectedVersion.Any, [e], default);
        }

        await using var a = HostProcess.Start(db.ConnectionString, "host-a");
        await WaitFor(async () => await Scalar(db, "select count(*) from handler_effects") >= 10, what: "host-a handling");
        await using var b = HostProcess.Start(db.ConnectionString, "host-b");
        await b.WaitReadyAsync();
        await Task.Delay(300); // b is now polling for the lock as a standby

        // Kill a while its batch transaction is open (its effects so far are uncommitted).
        await WaitFor(async () => await Scalar(db, "select count(*) from pg_stat_activity where application_name = 'host-a' and backend_xid is not null") == 1,
            what: "host-a inside a batch");
        a.Kill();
        var committedByA = await Scalar(db, "select count(*) from handler_effects where node = 'host-a'");
        Assert.InRange(committedByA, 10, 99);

        await WaitFor(async () => await Scalar(db, "select count(*) from handler_effects") >= 100, what: "all effects");
        await Task.Delay(200);
        Assert.Equal(100, await Scalar(db, "select count(*) from handler_effects"));
        Assert.Equal(100, await Scalar(db, "select count(distinct event_id) from handler_effects where event_id = any($1)", ids.ToArray()));
        Assert.True(await Scalar(db, "select count(*) from handler_effects where node = 'host-b'") > 0);
        Assert.Equal("host-b", (await HandlerStatusQuery.ReadAsync(db, default)).Single().Owner);
    }

    [Fact]
    public async Task two_processes_running_the_projection_daemon_write_the_read_model_once_even_when_the_owner_is_killed()
    {
        await using var db = await pg.CreateStoreDatabaseAsync();
        var store = new EventStore(db, TestEvents.Registry);
        var ids = new List<Guid>();
        for (var i = 0; i < 100; i++)
        {
            var e = TestEvents.Note($"n{i}", i);
            ids.Add(e.EventId);
            await store.AppendAsync($"notes-{i % 7}", ExpectedVersion.Any, [e], default);
        }

        await using var a = HostProcess.Start(db.ConnectionString, "proj-a", "--projection");
        await using var b = HostProcess.Start(db.ConnectionString, "proj-b", "--projection");
        await WaitFor(async () => await Scalar(db, "select count(*) from pg_tables where schemaname = 'rm_seen'") == 1 &&
                                  await Scalar(db, "select count(*) from rm_seen.seen") >= 10, what: "one host projecting");
        var owner = (await Narrative.Storage.Subscriptions.SubscriptionStatusQuery.ReadAsync(db, default)).Single(s => s.Name == "seen").Owner;
        var (killed, survivor) = owner == "proj-a" ? (a, "proj-b") : (b, "proj-a");
        await WaitFor(async () => await Scalar(db, $"select count(*) from pg_stat_activity where application_name = '{owner}' and backend_xid is not null") == 1,
            what: "the owner inside a batch");
        killed.Kill();

        await WaitFor(async () => await Scalar(db, "select count(*) from rm_seen.seen") >= 100, what: "the whole log projected");
        await Task.Delay(300);
        Assert.Equal(100, await Scalar(db, "select count(*) from rm_seen.seen"));
        Assert.Equal(100, await Scalar(db, "select count(distinct event_id) from rm_seen.seen where event_id = any($1)", ids.ToArray()));
        Assert.True(await Scalar(db, $"select count(*) from rm_seen.seen where node = '{survivor}'") > 0);
    }

    [Fact]
    public async Task after_a_postgres_restart_while_events_flow_the_runtime_recovers_and_handles_every_event_once()
    {
        var dir = Path.Combine(Path.GetTempPath(), $"narrative-test-restart-{Guid.NewGuid():N}");
        await using var server = await EmbeddedPostgres.StartAsync(new EmbeddedPostgresOptions(dir) { Ephemeral = true }, default);
        var cs = await server.CreateDatabaseAsync("handlers", default);
        await using var db = NpgsqlDataSource.Create(new NpgsqlConnectionStringBuilder(cs) { Timeout = 5 }.ConnectionString);
        await Schema.MigrateAsync(db, default);
        await Exec(db, EffectsHandler.Table);
        var store = new EventStore(db, TestEvents.Registry);

        const int total = 60;
        var appended = new ConcurrentBag<Guid>();
        await using (Run(store, new HandlerRegistry().Add<EffectsHandler>("effects")))
        {
            var writer = Task.Run(async () =>
            {
                for (var i = 0; i < total; i++)
                {
                    var e = TestEvents.Note($"n{i}", i);
                    // Retry the same event id through the outage: a retried append that did commit is a no-op.
                    for (var attempt = 0; ; attempt++)
                    {
                        try
                        {
                            await store.AppendAsync($"notes-{i % 5}", ExpectedVersion.Any, [e], default);
                            break;
                        }
                        catch (Exception ex) when (ex is NpgsqlException or IOException or TimeoutException or InvalidOperationException && attempt < 200)
                        {
                            await Task.Delay(50);
                        }
                    }
                    appended.Add(e.EventId);
                    await Task.Delay(15);
                }
            });
            await WaitFor(async () => await Scalar(db, "select count(*) from effects") >= 15, what: "effects before restart");
            await server.RestartAsync(default);
            await writer;
            await WaitFor(async () =>
            {
                try { return await Scalar(db, "select count(*) from effects") >= total; }
                catch (NpgsqlException) { return false; }
            }, what: "every event handled");
        }
        Assert.Equal(total, appended.Count);
        Assert.Equal(total, await Scalar(db, "select count(*) from effects"));
        Assert.Equal(total, await Scalar(db, "select count(distinct event_id) from effects where event_id = any($1)", appended.ToArray()));
    }

    /// <summary>A Narrative.HandlerHost child process, killed with SIGKILL on demand and on dispose.</summary>
    private sealed class HostProcess : IAsyncDisposable
    {
        private readonly Process _process;
        private readonly TaskCompletionSource _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly ConcurrentQueue<string> _output = new();

        private HostProcess(Process process) => _process = process;

        public static HostProcess Start(string connectionString, string node, params string[] extra)
        {
            // tests/Narrative.Storage.Tests/bin/<Configuration>/net10.0/ -> tests/Narrative.HandlerHost/bin/<Configuration>/net10.0/
            var here = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar));
            var dll = Path.GetFullPath(Path.Combine(here.FullName, "../../../../Narrative.HandlerHost/bin", here.Parent!.Name, here.Name,
                "Narrative.HandlerHost.dll"));
            if (!File.Exists(dll)) throw new FileNotFoundException("Build tests/Narrative.HandlerHost first", dll);
            var dotnet = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } hostPath && File.Exists(hostPath) ? hostPath : "dotnet";
            var info = new ProcessStartInfo(dotnet) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            foreach (var arg in new[] { dll, connectionString, "--node", node, "--sleep-ms", "15", "--batch-size", "10", "--poll-ms", "50" }.Concat(extra))
                info.ArgumentList.Add(arg);
            var host = new HostProcess(new Process { StartInfo = info });
            host._process.OutputDataReceived += (_, e) =>
            {
                if (e.Data is null) return;
                host._output.Enqueue(e.Data);
                if (e.Data.StartsWith("ready", StringComparison.Ordinal)) host._ready.TrySetResult();
            };
            host._process.ErrorDataReceived += (_, e) => { if (e.Data is not null) host._output.Enqueue(e.Data); };
            host._process.Start();
            host._process.BeginOutputReadLine();
            host._process.BeginErrorReadLine();
            return host;
        }

        public async Task WaitReadyAsync()
        {
            try { await _ready.Task.WaitAsync(TimeSpan.FromSeconds(20)); }
            catch (TimeoutException) { throw new TimeoutException("host not ready:\n" + string.Join('\n', _output)); }
        }

        public void Kill()
        {
            _process.Kill(); // SIGKILL: no cleanup, the connection just drops
            _process.WaitForExit();
        }

        public ValueTask DisposeAsync()
        {
            if (!_process.HasExited) Kill();
            _process.Dispose();
            return ValueTask.CompletedTask;
        }
    }
}
