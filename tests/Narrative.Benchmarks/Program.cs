using System.Diagnostics;
using Narrative.Benchmarks.Harness;
using Narrative.Benchmarks.Scenarios;
using Marten;
using Narrative.Storage;
using Npgsql;

// ./ops/bench [--quick] [--only prefix] [--reps n] [--lag-rate n]: each row does the same work through our code and through raw
// Npgsql, alternately, on a fresh database, and reports medians. See README.md.
BenchOptions options;
try
{
    options = BenchOptions.Parse(args);
}
catch (ArgumentException ex)
{
    Console.Error.WriteLine(ex.Message);
    return 2;
}

using var cts = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    e.Cancel = true;
    cts.Cancel();
};
var ct = cts.Token;
var total = Stopwatch.StartNew();

await using var database = await BenchDatabase.StartAsync(ct);
// Both sides use the connection settings every Narrative process uses.
var connectionString = EventStoreSetup.PooledConnectionString(database.ConnectionString);
await using var dataSource = NpgsqlDataSource.Create(connectionString);
// The event-store rows run on Marten's tables (schema narrative), configured as every Narrative process configures
// them, with the bench payload as the one event type. The analysis rows use a database of their own (AnalysisBench).
using var store = DocumentStore.For(o => EventStoreSetup.Configure(o, connectionString,
    [(typeof(BenchItemRecorded), BenchEvents.TypeName)], BenchEvents.Json));
await store.Storage.ApplyAllConfiguredChangesToDatabaseAsync();
var ctx = new BenchContext(dataSource, new Narrative.Storage.EventLog(store, dataSource), options);

var machine = await Machine.DescribeAsync(ctx, database.Description, ct);
Console.WriteLine(machine);
Console.WriteLine();

Scenario[] scenarios = [.. EventStoreScenarios.All(), .. AnalysisScenarios.All(options)];
IReadOnlyList<ScenarioResult> results;
try
{
    results = await Runner.RunAsync(ctx, scenarios, ct);
}
finally
{
    // Stop the analysis stack (daemon, Wolverine's agents) before the database goes away.
    await AnalysisBench.DisposeAsync();
}

Console.WriteLine();
Console.WriteLine(machine);
Console.WriteLine();
Console.Write(Report.Table(results));
Console.WriteLine();
var dir = Path.Combine(Environment.GetEnvironmentVariable("NARRATIVE_DATA") is { Length: > 0 } d ? d : ".narrative", "bench");
await Report.WriteAsync(dir, results, machine, ct);
Console.WriteLine($"Wrote {Path.Combine(dir, "results.json")} and machine.json; total {total.Elapsed.TotalSeconds:0}s");
return 0;
