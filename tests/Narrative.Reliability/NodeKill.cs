using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using JasperFx.Events.Daemon;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Narrative.Analysis;
using Narrative.Analysis.ReadModel;
using Narrative.Api.Hosting;
using Narrative.Storage.Postgres;
using Narrative.Testing;
using Npgsql;

namespace Narrative.Reliability;

/// <summary>
/// fault.node-kill: three Narrative.Api processes in Distributed mode on a database of their own (one ingests the
/// seeds), load spread over them, and the node that owns the analysis projection SIGKILLed a third of the way in.
/// Ownership is read from Wolverine's tables (<c>wolverine_node_assignments</c>: agent URI to node id); each process's
/// node id is the row that appeared in <c>wolverine_nodes</c> when it started, since they start one at a time.
/// </summary>
internal static class NodeKill
{
    /// <summary>The failover bound that docs/operations.md states (Wolverine's heartbeat settings in NarrativeHosting).</summary>
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(30);

    private static readonly string[] Names = ["node-a", "node-b", "node-c"];

    public static async Task<Row> RunAsync(EmbeddedPostgres primary, TimeSpan duration, ConcurrentQueue<string> output)
    {
        var cs = new NpgsqlConnectionStringBuilder(await primary.CreateDatabaseAsync($"nodes_{Guid.NewGuid():N}", default)) { MaxPoolSize = 30 }.ConnectionString;
        await using var db = NpgsqlDataSource.Create(cs);
        var nodes = new Dictionary<Guid, ApiNode>();
        try
        {
            var phase = Stopwatch.StartNew();
            // One at a time: the first creates the schema and ingests the seeds; each one's Wolverine node row is then the new one.
            foreach (var name in Names)
            {
                var node = ApiNode.Start(name, cs, name == Names[0] ? ApiServer.SeedsFolder() : null, output);
                try
                {
                    await node.WaitReadyAsync(TimeSpan.FromMinutes(2));
                    nodes[await NewNodeIdAsync(db, nodes.Keys, node)] = node;
                }
                catch
                {
                    await node.DisposeAsync();
                    throw;
                }
            }
            var started = phase.Elapsed;
            var (spread, owners) = await WaitForAssignmentAsync(db, nodes);
            return await KillUnderLoadAsync(cs, db, nodes, owners, duration,
                $"three API processes (Distributed) on one database, ready after {started.TotalSeconds:0} s; " +
                $"{(spread ? "spread" : "NOT spread")}: {string.Join(", ", owners.Select(o => $"{Agent(o.Key)} on {nodes[o.Value].Name}"))}");
        }
        finally
        {
            foreach (var node in nodes.Values) await node.DisposeAsync();
        }
    }

    private static async Task<Row> KillUnderLoadAsync(string cs, NpgsqlDataSource db, Dictionary<Guid, ApiNode> nodes,
        Dictionary<string, Guid> owners, TimeSpan duration, string setup)
    {
        var live = nodes.Values.ToList();
        var rng = new Random();
        Target Pick()
        {
            lock (live) return live[rng.Next(live.Count)].Target;
        }

        var analysis = owners.Keys.Single(IsAnalysis);
        var victimId = owners[analysis];
        var victim = nodes[victimId];
        using var stop = new CancellationTokenSource();
        var load = Traffic.RunAsync(Pick, stop.Token);
        var loadClock = Stopwatch.StartNew();
        await Task.Delay(duration / 3);

        // A load balancer stops sending to the node as it dies; requests already in flight on it get no answer.
        lock (live) live.Remove(victim);
        var atKill = await ProgressionAsync(db);
        victim.Kill();
        var clock = Stopwatch.StartNew();
        var killedAt = loadClock.Elapsed;
        TimeSpan? removed = null, moved = null, resumed = null;
        Guid? newOwner = null;
        long atMove = 0;
        while (clock.Elapsed < Bound * 2 && (moved is null || resumed is null))
        {
            if (removed is null && !await NodeRowExistsAsync(db, victimId)) removed = clock.Elapsed;
            if (moved is null && (await OwnersAsync(db)).TryGetValue(analysis, out var owner) && owner != victimId && nodes.ContainsKey(owner))
            {
                (moved, newOwner, atMove) = (clock.Elapsed, owner, await ProgressionAsync(db));
            }
            else if (moved is not null && await ProgressionAsync(db) > atMove) resumed = clock.Elapsed;
            await Task.Delay(100);
        }
        // The load runs its full time, and past the failover, so that writes go on while the projection moves.
        var rest = duration - loadClock.Elapsed;
        if (rest > TimeSpan.Zero) await Task.Delay(rest);
        await stop.CancelAsync();
        var traffic = await load;

        using var host = await NarrativeHosting.StartHostAsync(cs, new NarrativeRuntime { Daemon = false, DaemonMode = DaemonMode.Solo }, null, default);
        var services = host.Services.GetRequiredService<NarrativeServices>();
        var caughtUp = Stopwatch.StartNew();
        var (p50, p99) = traffic.Percentiles();
        var acked = traffic.Acked.Count;
        try
        {
            await services.WaitForProjectionsAsync(TimeSpan.FromMinutes(2), default);
        }
        catch (TimeoutException ex)
        {
            // No survivor finished the projection: report what is known (the failover so far, the load, which nodes are
            // still running) rather than only the timeout.
            return new Row("fault.node-kill", "fault", acked, 0, 0, 0, traffic.Errors, p50, p99, false,
                $"{setup}; {victim.Name} SIGKILLed {killedAt.TotalSeconds:0.0} s into the load; the projection was reassigned to " +
                $"{(newOwner is { } o ? nodes[o].Name : "no node")} after {moved?.TotalSeconds.ToString("0.0", CultureInfo.InvariantCulture) ?? "-"} s; " +
                $"{ex.Message}; nodes: {string.Join(", ", nodes.Values.Select(n => n.State))}; {traffic.Summary()}") { FailoverSeconds = moved?.TotalSeconds };
        }
        var atHead = clock.Elapsed;
        var outcome = await new Checks(db, services).RunAsync([.. traffic.Acked], [.. traffic.Refused]);
        await host.StopAsync();

        var inBound = moved is { } m && m < Bound && resumed is not null;
        string S(TimeSpan? t) => t is { } v ? $"{v.TotalSeconds:0.0} s" : $"not within {(Bound * 2).TotalSeconds:0} s";
        var failover =
            $"{victim.Name} (owner of the analysis projection) SIGKILLed {killedAt.TotalSeconds:0.0} s into the load at log position {atKill}; " +
            $"its node row was dropped after {S(removed)}; the projection was reassigned to {(newOwner is { } n ? nodes[n].Name : "no node")} after {S(moved)} " +
            $"and projected new events again after {S(resumed)} (bound {Bound.TotalSeconds:0} s); the read model reached the log's head " +
            $"{atHead.TotalSeconds:0.0} s after the kill ({caughtUp.Elapsed.TotalSeconds:0.0} s after the load stopped)";
        return new Row("fault.node-kill", "fault", acked, outcome.Found, acked - outcome.Found, outcome.RefusedWritten, traffic.Errors, p50, p99,
            outcome.Passed(acked) && inBound,
            $"{setup}; {failover}; {traffic.Summary()} (round robin over the live nodes); {outcome.Detail}")
        {
            FailoverSeconds = moved?.TotalSeconds,
            ResumedSeconds = resumed?.TotalSeconds,
        };
    }

    private static bool IsAnalysis(string agent) => agent.Contains($"/{AnalysisProjection.ProjectionName}/", StringComparison.Ordinal);

    private static string Agent(string uri) => IsAnalysis(uri) ? AnalysisProjection.ProjectionName
        : uri.Contains($"/{NarrativeHosting.RelayName}/", StringComparison.Ordinal) ? NarrativeHosting.RelayName : uri;

    /// <summary>The id of the Wolverine node that appeared since <paramref name="known"/> (the node just started).</summary>
    private static async Task<Guid> NewNodeIdAsync(NpgsqlDataSource db, IEnumerable<Guid> known, ApiNode node)
    {
        var until = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (true)
        {
            await using var cmd = db.CreateCommand("select id from wolverine.wolverine_nodes where not (id = any($1))");
            cmd.Parameters.Add(new NpgsqlParameter { Value = known.ToArray() });
            var fresh = new List<Guid>();
            await using (var r = await cmd.ExecuteReaderAsync())
                while (await r.ReadAsync()) fresh.Add(r.GetGuid(0));
            if (fresh.Count == 1) return fresh[0];
            if (fresh.Count > 1 || DateTime.UtcNow > until)
                throw new InvalidOperationException($"{node.Name}: expected one new row in wolverine_nodes, found {fresh.Count}");
            await Task.Delay(100);
        }
    }

    /// <summary>Which node runs each event-subscription agent (the analysis projection and the relay to the handlers).</summary>
    private static async Task<Dictionary<string, Guid>> OwnersAsync(NpgsqlDataSource db)
    {
        await using var cmd = db.CreateCommand("select id, node_id from wolverine.wolverine_node_assignments where id like 'event-subscriptions:%' and node_id is not null");
        await using var r = await cmd.ExecuteReaderAsync();
        var owners = new Dictionary<string, Guid>();
        while (await r.ReadAsync()) owners[r.GetString(0)] = r.GetGuid(1);
        return owners;
    }

    /// <summary>Both agents assigned to live nodes, and on two different nodes if that happens within 60 s (whether it did is reported).</summary>
    private static async Task<(bool Spread, Dictionary<string, Guid> Owners)> WaitForAssignmentAsync(NpgsqlDataSource db, Dictionary<Guid, ApiNode> nodes)
    {
        var until = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (true)
        {
            var owners = await OwnersAsync(db);
            var assigned = owners.Count == 2 && owners.Keys.Count(IsAnalysis) == 1 && owners.Values.All(nodes.ContainsKey);
            if (assigned && owners.Values.Distinct().Count() == 2) return (true, owners);
            if (DateTime.UtcNow > until)
            {
                if (assigned) return (false, owners);
                throw new TimeoutException($"the agents were not assigned within 60 s: {string.Join(", ", owners.Select(o => $"{o.Key} on {o.Value}"))}");
            }
            await Task.Delay(100);
        }
    }

    private static async Task<bool> NodeRowExistsAsync(NpgsqlDataSource db, Guid id)
    {
        await using var cmd = db.CreateCommand("select exists (select 1 from wolverine.wolverine_nodes where id = $1)");
        cmd.Parameters.Add(new NpgsqlParameter { Value = id });
        return (bool)(await cmd.ExecuteScalarAsync())!;
    }

    private static async Task<long> ProgressionAsync(NpgsqlDataSource db)
    {
        await using var cmd = db.CreateCommand("select coalesce(max(last_seq_id), 0) from narrative.mt_event_progression where name = $1");
        cmd.Parameters.Add(new NpgsqlParameter { Value = $"{AnalysisProjection.ProjectionName}:All" });
        return (long)(await cmd.ExecuteScalarAsync())!;
    }

    /// <summary>A Narrative.Api child process on a free port, SIGKILLed on demand and on dispose.</summary>
    private sealed class ApiNode : IAsyncDisposable
    {
        private readonly Process _process;
        private readonly ConcurrentQueue<string> _output;
        private readonly HttpClient _ingest;
        private readonly HttpClient _reader;

        private ApiNode(string name, Process process, Uri address, ConcurrentQueue<string> output)
        {
            Name = name;
            _process = process;
            _output = output;
            _ingest = Client(address, ApiServer.IngestKey);
            _reader = Client(address, null);
            Target = new Target(name, _ingest, _reader);
        }

        public string Name { get; }
        public Target Target { get; }

        /// <summary>Running, or how it ended (a survivor that exited by itself explains a projection that stopped).</summary>
        public string State => _process.HasExited ? $"{Name} exited with {_process.ExitCode}" : $"{Name} running";

        public static ApiNode Start(string name, string cs, string? seeds, ConcurrentQueue<string> output)
        {
            // The API built with this harness (ops/reliability builds it): Narrative.Api.dll next to this program.
            var dll = Path.Combine(AppContext.BaseDirectory, "Narrative.Api.dll");
            if (!File.Exists(dll)) throw new FileNotFoundException("Narrative.Api.dll is not next to the harness", dll);
            var port = FreePort();
            var dotnet = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } h && File.Exists(h) ? h : "dotnet";
            var info = new ProcessStartInfo(dotnet) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            var args = new List<string>
            {
                dll, "--urls", $"http://127.0.0.1:{port}",
                "--NARRATIVE_DB", new NpgsqlConnectionStringBuilder(cs) { ApplicationName = name }.ConnectionString,
                "--NARRATIVE_INGEST_KEY", ApiServer.IngestKey, "--NARRATIVE_ADMIN_KEY", ApiServer.AdminKey,
                "--NARRATIVE_DATA", Path.Combine(Path.GetTempPath(), $"narrative-node-{Guid.NewGuid():N}"),
                "--Narrative:DaemonMode", "Distributed", "--NARRATIVE_RATE_LIMIT", "0",
            };
            if (seeds is not null) args.AddRange(["--seeds", seeds]);
            foreach (var a in args) info.ArgumentList.Add(a);
            var process = new Process { StartInfo = info };
            process.OutputDataReceived += (_, e) => { if (e.Data is not null) output.Enqueue($"{name}: {e.Data}"); };
            process.ErrorDataReceived += (_, e) => { if (e.Data is not null) output.Enqueue($"{name}: {e.Data}"); };
            process.Start();
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
            return new ApiNode(name, process, new Uri($"http://127.0.0.1:{port}"), output);
        }

        public async Task WaitReadyAsync(TimeSpan timeout)
        {
            var until = DateTime.UtcNow + timeout;
            while (true)
            {
                if (_process.HasExited)
                    throw new InvalidOperationException($"{Name} exited with {_process.ExitCode}: {Tail()}");
                try
                {
                    using var r = await _reader.GetAsync("/health/ready");
                    if (r.IsSuccessStatusCode) return;
                }
                catch (HttpRequestException) { } // not listening yet
                if (DateTime.UtcNow > until) throw new TimeoutException($"{Name} not ready within {timeout}: {Tail()}");
                await Task.Delay(200);
            }
        }

        private string Tail() => string.Join(" | ", _output.Where(l => l.StartsWith(Name, StringComparison.Ordinal)).TakeLast(5));

        /// <summary>SIGKILL: no shutdown, its connections just drop and its heartbeats stop.</summary>
        public void Kill()
        {
            if (_process.HasExited) return;
            _process.Kill();
            _process.WaitForExit();
        }

        public ValueTask DisposeAsync()
        {
            Kill();
            _process.Dispose();
            _ingest.Dispose();
            _reader.Dispose();
            return ValueTask.CompletedTask;
        }

        private static HttpClient Client(Uri address, string? key)
        {
            var client = new HttpClient { BaseAddress = address, Timeout = TimeSpan.FromSeconds(30) };
            if (key is not null) client.DefaultRequestHeaders.Add(ApiKeys.Header, key);
            client.DefaultRequestHeaders.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
            return client;
        }

        private static int FreePort()
        {
            using var listener = new TcpListener(IPAddress.Loopback, 0);
            listener.Start();
            return ((IPEndPoint)listener.LocalEndpoint).Port;
        }
    }
}
