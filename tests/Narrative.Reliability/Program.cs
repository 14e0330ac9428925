using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Narrative.Analysis.ReadModel;
using Narrative.Reliability;
using Narrative.Testing;
using Npgsql;

// Usage: Narrative.Reliability [--seconds n]  (seconds of load per scenario, default 20)
// Starts a primary and a streaming standby from the local binaries and the seeded API over them (NARRATIVE_DB and
// NARRATIVE_DB_READ), then runs each scenario under load, checks what was acknowledged against the log, verifies the
// hash chain and compares the read model with a rebuild. Prints a table; writes <NARRATIVE_DATA>/reliability/results.json.
var seconds = Array.IndexOf(args, "--seconds") is var i and >= 0 && i + 1 < args.Length ? int.Parse(args[i + 1], System.Globalization.CultureInfo.InvariantCulture) : 20;
var data = Environment.GetEnvironmentVariable("NARRATIVE_DATA") is { Length: > 0 } d ? d : ".narrative";
var clock = Stopwatch.StartNew();
// Everything the API logs (its console sink) is kept, to look for secrets in it at the end.
var logged = new LogTee(Console.Out);
Console.SetOut(logged);

await using var clusters = new Clusters();
await clusters.StartAsync();
var (primaryCs, replicaCs) = await clusters.Fixture.CreateDatabaseAsync("reliability");
await using var api = await ApiServer.StartAsync(primaryCs, ApiServer.SeedsFolder(),
    extra: ["--NARRATIVE_DB_READ", replicaCs, "--NARRATIVE_RATE_LIMIT", "0"]);
await using var db = NpgsqlDataSource.Create(primaryCs);
var run = new Scenarios(api, db, clusters.Fixture, TimeSpan.FromSeconds(seconds));

var rows = new List<Row>
{
    await run.LoadAsync("load.mixed", "concurrent readers and writers, no fault", null),
    await run.LoadAsync("fault.primary-restart", "the primary restarted (pg_ctl restart -m fast) under load", async () =>
        await clusters.Fixture.Primary.RestartAsync(default)),
    await run.LoadAsync("fault.connections-terminated", "every application connection ended with pg_terminate_backend under load", async () =>
        await run.TerminateConnectionsAsync()),
    await run.LoadAsync("fault.held-transaction", "a transaction took a log position and stayed open 5 s, then rolled back, under load", async () =>
        await run.HoldTransactionAsync(TimeSpan.FromSeconds(5))),
    await run.LoadAsync("fault.replica-restart", "the streaming replica restarted under load", async () =>
        await clusters.Fixture.Standby.RestartAsync(default)),
    Row.NotRun("fault.node-kill", "fault",
        "not run by this harness yet: tests/Narrative.Api.Tests/MultiNodeTests SIGKILLs the owning node of three (Distributed) and checks each item once"),
    await Hostile.RunAsync(api, db, 1000),
};
rows.AddRange(await Security.RunAsync(api, primaryCs));
rows.Add(Security.LogSecrets(logged.Text, [ApiServer.IngestKey, ApiServer.AdminKey]));
Console.SetOut(logged.Inner);

Row.Print(rows, clock.Elapsed);
var dir = Path.Combine(data, "reliability");
Directory.CreateDirectory(dir);
await File.WriteAllTextAsync(Path.Combine(dir, "results.json"),
    JsonSerializer.Serialize(rows, new JsonSerializerOptions { WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.CamelCase }));
Console.WriteLine($"wrote {Path.Combine(dir, "results.json")}");
return rows.All(r => r.Passed || r.Detail.StartsWith("not run", StringComparison.Ordinal)) ? 0 : 1;

namespace Narrative.Reliability
{
    /// <summary>Writes through to the console and keeps a copy.</summary>
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
        public static Row NotRun(string name, string kind, string why) => new(name, kind, 0, 0, 0, 0, 0, 0, 0, false, why);

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
            return (ms[(int)(ms.Count * 0.50)], ms[Math.Min(ms.Count - 1, (int)(ms.Count * 0.99))]);
        }
    }

    internal sealed class Scenarios(ApiServer api, NpgsqlDataSource db, ReplicaFixture clusters, TimeSpan duration)
    {
        private int _counter;
        private static readonly string[] Dates = ["2023-12-15", "2024-01-10", "2024-01-31", "2024-02-29", "2024-03-31", "2024-05-31"];

        /// <summary>Two writers and four readers for <c>duration</c>; the fault, if any, a third of the way in.</summary>
        public async Task<Row> LoadAsync(string name, string what, Func<Task>? fault)
        {
            var acked = new ConcurrentBag<string>();
            var refused = new ConcurrentBag<string>();
            var latencies = new ConcurrentBag<double>();
            long errors = 0, reads = 0, corrections = 0;
            using var stop = new CancellationTokenSource(duration);
            using var ingest = api.Client(ApiServer.IngestKey);
            using var reader = api.Client();
            ingest.Timeout = reader.Timeout = TimeSpan.FromSeconds(30);

            async Task Writer()
            {
                var rng = new Random();
                while (!stop.IsCancellationRequested)
                {
                    var id = $"rel-{Interlocked.Increment(ref _counter)}-{Guid.NewGuid().ToString("N")[..12]}";
                    var sw = Stopwatch.StartNew();
                    try
                    {
                        using var r = await ingest.PostAsync("/api/documents", Json(Document(id)));
                        latencies.Add(sw.Elapsed.TotalMilliseconds);
                        if ((int)r.StatusCode is 200 or 201)
                        {
                            acked.Add(id);
                            if (rng.Next(4) == 0)
                            {
                                using var c = await ingest.PostAsync($"/api/documents/{id}/corrections", Json(new JsonObject
                                {
                                    ["reason"] = "reliability re-rating",
                                    ["items"] = new JsonArray(new JsonObject { ["id"] = $"{id}-a", ["credibility"] = 2 }),
                                }));
                                if (c.IsSuccessStatusCode) Interlocked.Increment(ref corrections);
                                else Interlocked.Increment(ref errors);
                            }
                        }
                        else
                        {
                            refused.Add(id);
                            Interlocked.Increment(ref errors);
                        }
                    }
                    catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
                    {
                        // No answer: the write may or may not have committed, so it is neither acknowledged nor refused.
                        Interlocked.Increment(ref errors);
                    }
                }
            }

            async Task Reader()
            {
                var rng = new Random();
                while (!stop.IsCancellationRequested)
                {
                    var path = rng.Next(3) == 0
                        ? "/api/topics/putin-ceasefire-stance/timeline?step=week"
                        : $"/api/topics/putin-ceasefire-stance/assessment?asOf={Dates[rng.Next(Dates.Length)]}";
                    var sw = Stopwatch.StartNew();
                    try
                    {
                        using var r = await reader.GetAsync(path);
                        latencies.Add(sw.Elapsed.TotalMilliseconds);
                        Interlocked.Increment(ref reads);
                        if (!r.IsSuccessStatusCode) Interlocked.Increment(ref errors);
                    }
                    catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
                    {
                        Interlocked.Increment(ref errors);
                    }
                }
            }

            var work = new List<Task> { Writer(), Writer(), Reader(), Reader(), Reader(), Reader() };
            if (fault is not null)
                work.Add(Task.Run(async () =>
                {
                    await Task.Delay(duration / 3);
                    await fault();
                }));
            await Task.WhenAll(work);

            var (found, refusedWritten) = await CheckAsync([.. acked], [.. refused]);
            var failures = await api.Services.Log.VerifyAsync(default);
            var (equal, rebuildDetail) = await ReadModelEqualsRebuildAsync();
            var (p50, p99) = Row.Percentiles([.. latencies]);
            var lost = acked.Count - found;
            var passed = lost == 0 && refusedWritten == 0 && failures.Count == 0 && equal;
            return new Row(name, name.StartsWith("load", StringComparison.Ordinal) ? "load" : "fault", acked.Count, found, lost, refusedWritten,
                errors, p50, p99, passed,
                $"{what}; {acked.Count} documents and {corrections} corrections acknowledged, {reads} reads " +
                $"({(reads + acked.Count) / duration.TotalSeconds:0} requests/s); verify: {(failures.Count == 0 ? "passed" : $"{failures.Count} failures")}; {rebuildDetail}");
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
            await using var conn = await db.OpenConnectionAsync();
            await using var tx = await conn.BeginTransactionAsync();
            await using (var cmd = new NpgsqlCommand("select nextval('narrative.mt_events_sequence')", conn, tx)) await cmd.ExecuteScalarAsync();
            await Task.Delay(hold);
            await tx.RollbackAsync();
        }

        private async Task<(long Found, long RefusedWritten)> CheckAsync(string[] acked, string[] refused)
        {
            async Task<long> Count(string[] ids)
            {
                await using var cmd = db.CreateCommand("select count(*) from narrative.mt_streams where id = any($1)");
                cmd.Parameters.Add(new NpgsqlParameter { Value = ids.Select(x => $"document-{x}").ToArray() });
                return (long)(await cmd.ExecuteScalarAsync())!;
            }
            return (await Count(acked), await Count(refused));
        }

        /// <summary>The read model once caught up, then after a rebuild from position 0: the same rows.</summary>
        private async Task<(bool Equal, string Detail)> ReadModelEqualsRebuildAsync()
        {
            await api.Services.WaitForProjectionsAsync(TimeSpan.FromMinutes(2), default);
            var before = await ChecksumAsync();
            await api.Services.RebuildAsync(api.Services.Projection, null, default);
            await api.Services.WaitForProjectionsAsync(TimeSpan.FromMinutes(2), default);
            var after = await ChecksumAsync();
            return (before == after, before == after ? "read model equals a rebuild" : $"read model differs from a rebuild ({before} vs {after})");
        }

        private async Task<string> ChecksumAsync()
        {
            var parts = new List<string>();
            foreach (var table in AnalysisProjection.Tables)
            {
                await using var cmd = db.CreateCommand($"select count(*) || ':' || coalesce(md5(string_agg(t::text, '|' order by t::text)), '') from {AnalysisProjection.LiveSchema}.{table} t");
                parts.Add($"{table}={await cmd.ExecuteScalarAsync()}");
            }
            return string.Join(",", parts);
        }

        private static StringContent Json(JsonNode node) => new(node.ToJsonString(), Encoding.UTF8, "application/json");

        public static JsonObject Document(string id) => new()
        {
            ["id"] = id,
            ["source"] = "reuters",
            ["publishedAt"] = "2024-03-01",
            ["title"] = "A reliability piece",
            ["url"] = "https://example.org/reliability",
            ["authors"] = new JsonArray("A. Writer"),
            ["cites"] = new JsonArray(),
            ["items"] = new JsonArray(new JsonObject
            {
                ["id"] = $"{id}-a",
                ["topic"] = "putin-ceasefire-stance",
                ["type"] = "report",
                ["summary"] = "Something was reported.",
                ["attributedTo"] = "a test",
                ["credibility"] = 3,
                ["ratings"] = new JsonObject { ["genuine"] = "N", ["feigned"] = "C", ["maximalist"] = "I" },
                ["rebuts"] = new JsonArray(),
            }),
        };
    }
}
