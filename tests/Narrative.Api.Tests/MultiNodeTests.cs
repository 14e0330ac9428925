using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using JasperFx.Events.Daemon;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Narrative.Analysis;
using Narrative.Analysis.Ingestion;
using Narrative.Domain.Corpus;
using Narrative.Testing;
using Npgsql;

namespace Narrative.Api.Tests;

/// <summary>
/// Narrative nodes as real processes (Narrative.HandlerHost) on one database. HotCold: one owns the whole daemon, and
/// when it is SIGKILLed another takes over. Distributed: Wolverine spreads the projection and the relay over three
/// nodes, and a killed node's share moves to a survivor. Either way the read model keeps up with the log, each item once.
/// </summary>
[Collection(PostgresCollection.Name)]
public sealed class MultiNodeTests(PostgresFixture pg, Xunit.Abstractions.ITestOutputHelper output)
{
    [Fact]
    public async Task when_the_node_owning_the_daemon_is_killed_the_other_node_projects_what_is_appended_afterwards_exactly_once()
    {
        var cs = await pg.CreateDatabaseAsync("nodes");
        await using var a = NodeProcess.Start(cs, "node-a");
        await a.WaitReadyAsync();
        await using var b = NodeProcess.Start(cs, "node-b");
        await b.WaitReadyAsync();

        // This process only appends (no daemon), like an API node started with the daemon off.
        await using var writer = await Writer.StartAsync(cs);
        var services = writer.Services;
        var seeds = CorpusFiles.Load([ApiServer.SeedsFolder()]);
        var seeded = await new CorpusIngestor(services.Ingestion).IngestAsync(seeds, new IngestContext("test", "seeds"), null, default);
        Assert.All(seeded, o => Assert.Equal(IngestStatus.Created, o.Result.Status));
        await services.WaitForProjectionsAsync(TimeSpan.FromSeconds(90), default);

        await using var db = NpgsqlDataSource.Create(cs);
        var owner = await WaitForOwnerAsync(null, a, b);
        var (killed, survivor) = owner == "node-a" ? (a, "node-b") : (b, "node-a");

        // Appends on both sides of the kill: some are still being projected by the owner when it dies.
        for (var i = 0; i < 20; i++)
        {
            if (i == 8) killed.Kill();
            var json = JsonSerializer.SerializeToUtf8Bytes(Documents.Valid($"failover-2024-03-01-n{i}"));
            var input = JsonSerializer.Deserialize<DocumentInput>(json, NarrativeEvents.Json)!;
            var r = await services.Ingestion.IngestDocumentAsync(input, json.Length, new IngestContext("test", $"failover-{i}"), default);
            Assert.True(r.Status == IngestStatus.Created, $"{r.Status} {r.Message}");
        }

        Assert.Equal(survivor, await WaitForOwnerAsync(owner, a, b));
        // The projection's progression reaches the head of the log: nothing was left behind, and no batch failed for
        // writing an item row twice (items are unique by item_id, so a second apply would fail and stall here).
        await services.WaitForProjectionsAsync(TimeSpan.FromSeconds(90), default);
        var analysis = (await services.StatusAsync(default)).Single(s => s.Name == services.Projection.Name);
        Assert.Equal(await services.Log.HeadAsync(default), analysis.Position);

        var expectedItems = seeds.Where(e => e.Input is DocumentInput).Sum(e => ((DocumentInput)e.Input!).Items?.Count ?? 0) + 20 * 2;
        Assert.Equal(expectedItems, await Scalar(db, "select count(*) from rm_analysis.items"));
        Assert.Equal(expectedItems, await Scalar(db, "select count(distinct item_id) from rm_analysis.items"));
        Assert.Equal(40, await Scalar(db, "select count(*) from rm_analysis.items where item_id like 'failover-2024-03-01-n%'"));
    }

    /// <summary>How long a SIGKILLed node's projections may take to run elsewhere (Wolverine's node timeouts, see NarrativeHosting).</summary>
    private static readonly TimeSpan FailoverBound = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task three_distributed_nodes_share_the_projection_and_the_relay_and_a_killed_nodes_share_moves_to_a_survivor_exactly_once()
    {
        var cs = await pg.CreateDatabaseAsync("spread");
        var phase = Stopwatch.StartNew();
        // The first node creates the schema; the other two start together once it exists (concurrent DDL would collide).
        var first = NodeProcess.Start(cs, "node-a", distributed: true);
        NodeProcess[] nodes = [first];
        try
        {
            await first.WaitReadyAsync();
            nodes = [first, NodeProcess.Start(cs, "node-b", distributed: true), NodeProcess.Start(cs, "node-c", distributed: true)];
            foreach (var n in nodes) await n.WaitReadyAsync();
            output.WriteLine($"nodes ready after {phase.Elapsed}");
            await using var writer = await Writer.StartAsync(cs);
            var services = writer.Services;
            var seeds = CorpusFiles.Load([ApiServer.SeedsFolder()]);
            await new CorpusIngestor(services.Ingestion).IngestAsync(seeds, new IngestContext("test", "seeds"), null, default);
            await services.WaitForProjectionsAsync(TimeSpan.FromSeconds(90), default);
            output.WriteLine($"seeded and projected after {phase.Elapsed}");

            // Spread: the analysis projection and the relay to the handlers each run on exactly one node, not the same one.
            var owners = await WaitForAssignmentAsync(nodes, o => o.Values.Distinct().Count() == 2, "spread over two nodes");
            var analysis = owners.Keys.Single(k => k.Contains("/analysis/", StringComparison.Ordinal));
            var killed = nodes.Single(n => n.Name == owners[analysis]);
            output.WriteLine($"spread after {phase.Elapsed}: {string.Join(", ", owners.Select(o => $"{o.Key} on {o.Value}"))}");

            var clock = Stopwatch.StartNew();
            for (var i = 0; i < 20; i++)
            {
                if (i == 8)
                {
                    killed.Kill();
                    clock.Restart();
                }
                var json = JsonSerializer.SerializeToUtf8Bytes(Documents.Valid($"spread-2024-03-01-n{i}"));
                var input = JsonSerializer.Deserialize<DocumentInput>(json, NarrativeEvents.Json)!;
                var r = await services.Ingestion.IngestDocumentAsync(input, json.Length, new IngestContext("test", $"spread-{i}"), default);
                Assert.True(r.Status == IngestStatus.Created, $"{r.Status} {r.Message}");
            }
            var moved = await WaitForAssignmentAsync(nodes, o => o.Count == 2 && o[analysis] != killed.Name, "moved off the killed node");
            var took = clock.Elapsed;
            output.WriteLine($"the analysis projection moved from {killed.Name} to {moved[analysis]} in {took}");
            Assert.True(took < FailoverBound, $"the analysis projection took {took} to move");
            Assert.NotEqual(killed.Name, moved[analysis]);

            await services.WaitForProjectionsAsync(TimeSpan.FromSeconds(60), default);
            await using var db = NpgsqlDataSource.Create(cs);
            var expectedItems = seeds.Where(e => e.Input is DocumentInput).Sum(e => ((DocumentInput)e.Input!).Items?.Count ?? 0) + 20 * 2;
            Assert.Equal(expectedItems, await Scalar(db, "select count(*) from rm_analysis.items"));
            Assert.Equal(expectedItems, await Scalar(db, "select count(distinct item_id) from rm_analysis.items"));
        }
        finally
        {
            foreach (var n in nodes) await n.DisposeAsync();
        }
    }

    /// <summary>
    /// Which live node runs each event-subscription agent, once every agent runs on exactly one live node and
    /// <paramref name="settled"/> holds.
    /// </summary>
    private static async Task<Dictionary<string, string>> WaitForAssignmentAsync(NodeProcess[] nodes, Func<Dictionary<string, string>, bool> settled,
        string what)
    {
        var until = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (true)
        {
            var claims = nodes.Where(n => n.IsAlive).SelectMany(n => n.Agents.Select(a => (Agent: a, n.Name))).ToList();
            var once = claims.GroupBy(c => c.Agent).All(g => g.Count() == 1);
            var owners = claims.GroupBy(c => c.Agent).ToDictionary(g => g.Key, g => g.First().Name);
            if (once && owners.Count == 2 && settled(owners)) return owners;
            if (DateTime.UtcNow > until)
                throw new TimeoutException($"agents not {what}:\n" + string.Join("\n", nodes.Select(n => n.Output)));
            await Task.Delay(50);
        }
    }

    /// <summary>The node running the daemon, once one other than <paramref name="except"/> does; never two at once.</summary>
    private static async Task<string> WaitForOwnerAsync(string? except, params NodeProcess[] nodes)
    {
        var until = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (true)
        {
            var owners = nodes.Where(n => n.IsAlive && n.Owns).Select(n => n.Name).ToList();
            Assert.True(owners.Count <= 1, $"more than one node runs the daemon: {string.Join(", ", owners)}");
            if (owners is [var owner] && owner != except) return owner;
            if (DateTime.UtcNow > until)
                throw new TimeoutException($"no node other than {except ?? "-"} took the daemon:\n" + string.Join("\n", nodes.Select(n => n.Output)));
            await Task.Delay(50);
        }
    }

    private static async Task<long> Scalar(NpgsqlDataSource db, string sql)
    {
        await using var cmd = db.CreateCommand(sql);
        return Convert.ToInt64(await cmd.ExecuteScalarAsync(), CultureInfo.InvariantCulture);
    }

    /// <summary>Narrative's services in the test process, without a daemon: it appends, and reads status and progress.</summary>
    private sealed class Writer : IAsyncDisposable
    {
        private readonly IHost _host;

        private Writer(IHost host) => _host = host;

        public NarrativeServices Services => _host.Services.GetRequiredService<NarrativeServices>();

        public static async Task<Writer> StartAsync(string cs)
        {
            return new Writer(await NarrativeHosting.StartHostAsync(cs, new NarrativeRuntime { Daemon = false, DaemonMode = DaemonMode.Solo },
                null, CancellationToken.None));
        }

        public async ValueTask DisposeAsync()
        {
            await _host.StopAsync();
            if (_host is IAsyncDisposable d) await d.DisposeAsync();
            else _host.Dispose();
        }
    }

    /// <summary>A Narrative.HandlerHost child process, killed with SIGKILL on demand and on dispose.</summary>
    private sealed class NodeProcess : IAsyncDisposable
    {
        private readonly Process _process;
        private readonly TaskCompletionSource _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly ConcurrentQueue<string> _output = new();
        private volatile bool _owns;
        private volatile string[] _agents = [];

        private NodeProcess(Process process, string name)
        {
            _process = process;
            Name = name;
        }

        public string Name { get; }

        /// <summary>What the node last said: it runs the daemon ("owner") or waits for the lock ("standby").</summary>
        public bool Owns => _owns;

        /// <summary>The event-subscription agents (projections, the relay) the node last said it runs (distributed mode).</summary>
        public IReadOnlyList<string> Agents => _agents;

        public bool IsAlive => !_process.HasExited;
        public string Output => $"{Name}:\n  " + string.Join("\n  ", _output);

        public static NodeProcess Start(string connectionString, string node, bool distributed = false)
        {
            // tests/Narrative.Api.Tests/bin/<Configuration>/net10.0/ -> tests/Narrative.HandlerHost/bin/<Configuration>/net10.0/
            var here = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar));
            var dll = Path.GetFullPath(Path.Combine(here.FullName, "../../../../Narrative.HandlerHost/bin", here.Parent!.Name, here.Name,
                "Narrative.HandlerHost.dll"));
            if (!File.Exists(dll)) throw new FileNotFoundException("Build tests/Narrative.HandlerHost first", dll);
            var dotnet = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } hostPath && File.Exists(hostPath) ? hostPath : "dotnet";
            var info = new ProcessStartInfo(dotnet) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            foreach (var arg in new[] { dll, connectionString, "--node", node }) info.ArgumentList.Add(arg);
            if (distributed) info.ArgumentList.Add("--distributed");
            var host = new NodeProcess(new Process { StartInfo = info }, node);
            host._process.OutputDataReceived += (_, e) =>
            {
                if (e.Data is null) return;
                host._output.Enqueue(e.Data);
                if (e.Data.StartsWith("ready ", StringComparison.Ordinal)) host._ready.TrySetResult();
                else if (e.Data.StartsWith("owner ", StringComparison.Ordinal)) host._owns = true;
                else if (e.Data.StartsWith("standby ", StringComparison.Ordinal)) host._owns = false;
                else if (e.Data.StartsWith("agents ", StringComparison.Ordinal)) host._agents = e.Data.Split(' ', StringSplitOptions.RemoveEmptyEntries)[2..];
            };
            host._process.ErrorDataReceived += (_, e) => { if (e.Data is not null) host._output.Enqueue(e.Data); };
            host._process.Start();
            host._process.BeginOutputReadLine();
            host._process.BeginErrorReadLine();
            return host;
        }

        public async Task WaitReadyAsync()
        {
            try { await _ready.Task.WaitAsync(TimeSpan.FromSeconds(60)); }
            catch (TimeoutException) { throw new TimeoutException("node not ready:\n" + Output); }
        }

        public void Kill()
        {
            _process.Kill(); // SIGKILL: no cleanup, its connections (and the advisory lock) just drop
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
