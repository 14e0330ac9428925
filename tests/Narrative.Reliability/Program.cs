using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text;
using System.Text.Json;
using Narrative.Reliability;
using Narrative.Testing;
using Npgsql;

// Usage: Narrative.Reliability [--seconds n]  (seconds of load per scenario, default 15)
// Starts a primary and a streaming standby from the local binaries and the seeded API over them (NARRATIVE_DB and
// NARRATIVE_DB_READ), then runs each scenario under load, checks what was acknowledged against the log, verifies the
// hash chain and compares the read model with a rebuild; fault.node-kill runs three API processes on a database of
// their own. Prints a table; writes <NARRATIVE_DATA>/reliability/results.json; exits 1 if any row did not pass.
var seconds = Array.IndexOf(args, "--seconds") is var i and >= 0 && i + 1 < args.Length ? int.Parse(args[i + 1], System.Globalization.CultureInfo.InvariantCulture) : 15;
var data = Environment.GetEnvironmentVariable("NARRATIVE_DATA") is { Length: > 0 } d ? d : ".narrative";
var duration = TimeSpan.FromSeconds(seconds);
var clock = Stopwatch.StartNew();
var dir = Path.Combine(data, "reliability");
Directory.CreateDirectory(dir);
// Everything the API logs (its console sink, and the node processes' output) goes to run.log and is kept, to look
// for secrets in it at the end; the terminal gets one line per row.
var terminal = Console.Out;
Row.Terminal = terminal;
var logFile = Path.Combine(dir, "run.log");
var logged = new LogTee(new StreamWriter(logFile, append: false) { AutoFlush = true });
Console.SetOut(logged);
terminal.WriteLine($"Reliability suite: {seconds} s of load per scenario; the API's and the nodes' logs go to {logFile}");
var nodeOutput = new ConcurrentQueue<string>();

// The web page, for security.headers: the API finds its wwwroot by walking up from its binaries, which are this harness's.
if (Environment.GetEnvironmentVariable("NARRATIVE_WEBROOT") is not { Length: > 0 })
    Environment.SetEnvironmentVariable("NARRATIVE_WEBROOT", Path.Combine(Path.GetDirectoryName(ApiServer.SeedsFolder())!, "src", "Narrative.Api", "wwwroot"));

var rows = new List<Row>();
string? setupFailure = null;
try
{
    await using var clusters = new Clusters();
    await clusters.StartAsync();
    var (primaryCs, replicaCs) = await clusters.Fixture.CreateDatabaseAsync("reliability");
    await using var api = await ApiServer.StartAsync(primaryCs, ApiServer.SeedsFolder(),
        extra: ["--NARRATIVE_DB_READ", replicaCs, "--NARRATIVE_RATE_LIMIT", "0"]);
    await using var db = NpgsqlDataSource.Create(primaryCs);
    // Ready means the primary's read model has the seeds; queries go to the replica, which must have them too, or the
    // first reads of load.mixed are 404s for a topic the replica has not replayed yet (a read without a token may be stale).
    await Scenarios.WaitForReplicaAsync(api, TimeSpan.FromSeconds(60));
    using (var client = api.Client()) await Traffic.UseHypothesesOfAsync(client);
    var run = new Scenarios(api, db, clusters.Fixture, duration);
    var primary = clusters.Fixture.Primary;

    rows.Add(await Row.Guard("load.mixed", "load", () => run.LoadAsync("load.mixed", "concurrent readers and writers, no fault", null)));
    rows.Add(await Row.Guard("fault.primary-restart", "fault", () => run.LoadAsync("fault.primary-restart",
        "the primary restarted (pg_ctl restart -m fast) under load", () => primary.RestartAsync(default))));
    rows.Add(await Row.Guard("fault.connections-terminated", "fault", () => run.LoadAsync("fault.connections-terminated",
        "every application connection ended with pg_terminate_backend under load", run.TerminateConnectionsAsync)));
    rows.Add(await Row.Guard("fault.held-transaction", "fault", () => run.LoadAsync("fault.held-transaction",
        "a transaction took a log position and stayed open 5 s, then rolled back, under load", () => run.HoldTransactionAsync(TimeSpan.FromSeconds(5)))));
    rows.Add(await Row.Guard("fault.replica-restart", "fault", () => run.LoadAsync("fault.replica-restart",
        "the streaming replica restarted under load", () => clusters.Fixture.Standby.RestartAsync(default))));
    rows.Add(await Row.Guard("fault.node-kill", "fault", () => NodeKill.RunAsync(primary, duration, nodeOutput)));
    rows.Add(await Row.Guard("input.generated", "input", () => Hostile.RunAsync(api, 1000)));
    rows.AddRange(await Security.RunAsync(api, primaryCs));
}
#pragma warning disable CA1031 // The run reports what it could not do instead of crashing.
catch (Exception ex)
#pragma warning restore CA1031
{
    setupFailure = $"could not run: {Row.Describe(ex)}";
    Console.WriteLine(ex);
    terminal.WriteLine($"setup failed: {Row.Describe(ex)}");
}
// A row that never ran (the clusters or the API did not start) is reported as failed, with the reason.
foreach (var (name, kind) in Row.Expected.Where(e => rows.All(r => r.Name != e.Name)))
    rows.Add(Row.Failed(name, kind, setupFailure ?? "could not run"));
foreach (var line in nodeOutput) logged.WriteLine(line);
rows.Add(Security.LogSecrets(logged.Text, [ApiServer.IngestKey, ApiServer.AdminKey]));
Console.SetOut(terminal);
await logged.Inner.DisposeAsync();

Row.Print(rows, clock.Elapsed);
await File.WriteAllTextAsync(Path.Combine(dir, "results.json"),
    JsonSerializer.Serialize(rows, new JsonSerializerOptions
    {
        WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull,
    }));
Console.WriteLine($"wrote {Path.Combine(dir, "results.json")}");
var failed = rows.Where(r => !r.Passed).Select(r => r.Name).ToList();
Console.WriteLine(failed.Count == 0 ? "every row passed" : $"FAILED: {string.Join(", ", failed)}");
return failed.Count == 0 ? 0 : 1;

namespace Narrative.Reliability
{
    /// <summary>Writes through to the run log and keeps a copy.</summary>
    internal sealed class LogTee(TextWriter inner) : TextWriter
    {
        private readonly StringBuilder _copy = new();
        public TextWriter Inner => inner;
        public override Encoding Encoding => inner.Encoding;
        public string Text { get { lock (_copy) return _copy.ToString(); } }

        public override void Write(char value)
        {
            lock (_copy) _copy.Append(value);
            inner.Write(value);
        }

        public override void Write(string? value)
        {
            lock (_copy) _copy.Append(value);
            inner.Write(value);
        }

        public override void WriteLine(string? value)
        {
            lock (_copy) _copy.AppendLine(value);
            inner.WriteLine(value);
        }
    }

    /// <summary>The primary and the standby, started and stopped with the tool.</summary>
    internal sealed class Clusters : IAsyncDisposable
    {
        public ReplicaFixture Fixture { get; } = new();
        public Task StartAsync() => Fixture.InitializeAsync();
        public async ValueTask DisposeAsync() => await Fixture.DisposeAsync();
    }

    public sealed record Row(string Name, string Kind, long Acknowledged, long Found, long Lost, long RefusedButWritten, long Errors,
        double P50Ms, double P99Ms, bool Passed, string Detail)
    {
        /// <summary>fault.node-kill: seconds from the SIGKILL until the analysis projection was assigned to a survivor.</summary>
        public double? FailoverSeconds { get; init; }

        /// <summary>fault.node-kill: seconds from the SIGKILL until the survivor had projected new events.</summary>
        public double? ResumedSeconds { get; init; }

        /// <summary>Every row a full run reports, in order (security.log-secrets is added last, always).</summary>
        public static readonly (string Name, string Kind)[] Expected =
        [
            ("load.mixed", "load"), ("fault.primary-restart", "fault"), ("fault.connections-terminated", "fault"), ("fault.held-transaction", "fault"),
            ("fault.replica-restart", "fault"), ("fault.node-kill", "fault"), ("input.generated", "input"),
            ("security.api-keys", "security"), ("security.headers", "security"), ("security.request-size", "security"), ("security.rate-limit", "security"),
        ];

        public static Row Failed(string name, string kind, string why) => new(name, kind, 0, 0, 0, 0, 1, 0, 0, false, why);

        /// <summary>Where progress goes (the console's own output, while Console.Out collects the API's log).</summary>
        public static TextWriter Terminal { get; set; } = Console.Out;

        /// <summary>Runs a row; if it throws, the row fails with the reason and the run goes on.</summary>
        public static async Task<Row> Guard(string name, string kind, Func<Task<Row>> run)
        {
            Terminal.Write($"  {name} ... ");
            var clock = Stopwatch.StartNew();
            Row row;
            try
            {
                row = await run();
            }
#pragma warning disable CA1031 // Whatever went wrong is the row's result.
            catch (Exception ex)
#pragma warning restore CA1031
            {
                Console.WriteLine($"{name} could not run: {ex}");
                row = Failed(name, kind, $"could not run: {Describe(ex)}");
            }
            Terminal.WriteLine($"{(row.Passed ? "passed" : "FAILED")} ({clock.Elapsed.TotalSeconds:0} s)");
            return row;
        }

        public static string Describe(Exception ex) => $"{ex.GetType().Name}: {ex.Message.Split('\n')[0]}";

        public static void Print(IReadOnlyList<Row> rows, TimeSpan took)
        {
            Console.WriteLine();
            Console.WriteLine($"| {"row",-30} | {"ack",6} | {"found",6} | {"lost",4} | {"refused+written",15} | {"errors",6} | {"p50 ms",7} | {"p99 ms",7} | {"passed",6} |");
            Console.WriteLine($"|{new string('-', 32)}|{new string('-', 8)}|{new string('-', 8)}|{new string('-', 6)}|{new string('-', 17)}|{new string('-', 8)}|{new string('-', 9)}|{new string('-', 9)}|{new string('-', 8)}|");
            foreach (var r in rows)
                Console.WriteLine($"| {r.Name,-30} | {r.Acknowledged,6} | {r.Found,6} | {r.Lost,4} | {r.RefusedButWritten,15} | {r.Errors,6} | {r.P50Ms,7:0.0} | {r.P99Ms,7:0.0} | {(r.Passed ? "yes" : "NO"),6} |");
            Console.WriteLine();
            foreach (var r in rows) Console.WriteLine($"{r.Name}: {r.Detail}");
            Console.WriteLine($"took {took:mm\\:ss}");
        }

        public static (double P50, double P99) Percentiles(List<double> ms)
        {
            if (ms.Count == 0) return (0, 0);
            ms.Sort();
            return (Math.Round(ms[(int)(ms.Count * 0.50)], 1), Math.Round(ms[Math.Min(ms.Count - 1, (int)(ms.Count * 0.99))], 1));
        }
    }

    /// <summary>The scenarios against the seeded API in this process, over the primary and its standby.</summary>
    internal sealed class Scenarios(ApiServer api, NpgsqlDataSource db, ReplicaFixture clusters, TimeSpan duration)
    {
        /// <summary>Load for <c>duration</c>, the fault (if any) a third of the way in; then the checks.</summary>
        public async Task<Row> LoadAsync(string name, string what, Func<Task>? fault)
        {
            using var ingest = api.Client(ApiServer.IngestKey);
            using var reader = api.Client();
            ingest.Timeout = reader.Timeout = TimeSpan.FromSeconds(30);
            var target = new Target("api", ingest, reader);
            using var stop = new CancellationTokenSource(duration);
            var load = Traffic.RunAsync(() => target, stop.Token);
            string faultDetail = "";
            if (fault is not null)
            {
                await Task.Delay(duration / 3);
                var sw = Stopwatch.StartNew();
                try
                {
                    await fault();
                    faultDetail = $" (the fault took {sw.Elapsed.TotalSeconds:0.0} s)";
                }
#pragma warning disable CA1031 // A fault that could not be injected fails the row; the load and the checks still run.
                catch (Exception ex)
#pragma warning restore CA1031
                {
                    faultDetail = $" (the fault could not be injected: {Row.Describe(ex)})";
                }
            }
            var traffic = await load;

            var checks = new Checks(db, api.Services);
            var outcome = await checks.RunAsync([.. traffic.Acked], [.. traffic.Refused]);
            var (p50, p99) = traffic.Percentiles();
            var acked = traffic.Acked.Count;
            return new Row(name, name.StartsWith("load", StringComparison.Ordinal) ? "load" : "fault", acked, outcome.Found, acked - outcome.Found,
                outcome.RefusedWritten, traffic.Errors, p50, p99, outcome.Passed(acked) && !faultDetail.Contains("could not", StringComparison.Ordinal),
                $"{what}{faultDetail}; {traffic.Summary()}; {outcome.Detail}");
        }

        public static async Task WaitForReplicaAsync(ApiServer api, TimeSpan timeout)
        {
            var until = DateTime.UtcNow + timeout;
            while (true)
            {
                var replicas = (await api.Services.StatusAsync(default)).Where(s => s.Kind == "replica").ToList();
                if (replicas.Count > 0 && replicas.All(r => r.State == "streaming" && r.Lag == 0)) return;
                if (DateTime.UtcNow > until)
                    throw new TimeoutException("the replica's read model did not reach the primary's: " +
                        string.Join(", ", replicas.Select(r => $"{r.Name} {r.State} at {r.Position} of {r.Head}")));
                await Task.Delay(100);
            }
        }

        public async Task TerminateConnectionsAsync()
        {
            await using var admin = NpgsqlDataSource.Create(clusters.Primary.ConnectionString());
            await using var cmd = admin.CreateCommand("""
                select count(pg_terminate_backend(pid)) from pg_stat_activity
                where datname = $1 and pid <> pg_backend_pid() and backend_type = 'client backend'
                """);
            cmd.Parameters.Add(new NpgsqlParameter { Value = new NpgsqlConnectionStringBuilder(db.ConnectionString).Database });
            await cmd.ExecuteScalarAsync();
        }

        /// <summary>Takes a log position in an open transaction and holds it: the daemon must wait, then see the gap roll back.</summary>
        public async Task HoldTransactionAsync(TimeSpan hold)
        {
            // Its own connection: the harness's pool may still hold connections an earlier fault ended.
            await using var own = NpgsqlDataSource.Create(db.ConnectionString);
            await using var conn = await own.OpenConnectionAsync();
            await using var tx = await conn.BeginTransactionAsync();
            await using (var cmd = new NpgsqlCommand("select nextval('narrative.mt_events_sequence')", conn, tx)) await cmd.ExecuteScalarAsync();
            await Task.Delay(hold);
            await tx.RollbackAsync();
        }
    }
}
