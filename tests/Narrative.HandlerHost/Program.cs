using Narrative.Storage;
using Narrative.Storage.Handlers;
using Narrative.Storage.Subscriptions;
using Npgsql;
using Serilog;

// Usage: Narrative.HandlerHost <connection string> [--node name] [--sleep-ms 20] [--batch-size 10] [--poll-ms 100] [--projection]
// Runs the "effects" handler until killed: per event it inserts a row into handler_effects and sleeps, so a batch takes time.
// With --projection it runs the "seen" projection instead (one row per event in rm_seen.seen, same sleep).
if (args.Length < 1)
{
    await Console.Error.WriteLineAsync("usage: Narrative.HandlerHost <connection string> [--node name] [--sleep-ms n] [--batch-size n] [--poll-ms n]");
    return 2;
}
string Option(string name, string fallback) =>
    Array.IndexOf(args, name) is var i and >= 0 && i + 1 < args.Length ? args[i + 1] : fallback;
var node = Option("--node", $"host-{Environment.ProcessId}");
var sleep = int.Parse(Option("--sleep-ms", "20"), System.Globalization.CultureInfo.InvariantCulture);
var batch = int.Parse(Option("--batch-size", "10"), System.Globalization.CultureInfo.InvariantCulture);
var poll = int.Parse(Option("--poll-ms", "100"), System.Globalization.CultureInfo.InvariantCulture);

Log.Logger = new LoggerConfiguration().MinimumLevel.Information().Enrich.WithProperty("Node", node)
    .WriteTo.Console(standardErrorFromLevel: Serilog.Events.LogEventLevel.Verbose).CreateLogger();

var cs = new NpgsqlConnectionStringBuilder(args[0]) { ApplicationName = node }.ConnectionString;
await using var db = NpgsqlDataSource.Create(cs);
await Schema.MigrateAsync(db, CancellationToken.None);
var store = new EventStore(db, new EventTypeRegistry([(typeof(Noted), "test.noted.v1"), (typeof(Renamed), "test.renamed.v1")]));
var handlers = new HandlerRegistry().Add("effects", () => new EffectsHandler(node, sleep));

using var stop = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) => { e.Cancel = true; stop.Cancel(); };
AppDomain.CurrentDomain.ProcessExit += (_, _) => stop.Cancel();
Console.WriteLine($"ready {node}");
var options = new SubscriptionOptions { NodeId = node, BatchSize = batch, PollInterval = TimeSpan.FromMilliseconds(poll), MaxBackoff = TimeSpan.FromSeconds(1) };
IReadOnlyList<ISubscription> subscriptions = args.Contains("--projection")
    ? [new SeenProjection(node, sleep)]
    : handlers.CreateSubscriptions(store.Types);
await new SubscriptionDaemon(store, subscriptions, options).RunAsync(stop.Token);
await Log.CloseAndFlushAsync();
return 0;

internal sealed record Noted(string Text, int N);
internal sealed record Renamed(string Name);

internal sealed class EffectsHandler(string node, int sleepMs)
{
    public async Task Handle(Noted noted, HandlerContext context, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand("insert into handler_effects (event_id, position, node) values ($1, $2, $3)",
            context.Connection, context.Transaction);
        cmd.Parameters.Add(new() { Value = context.Event.EventId });
        cmd.Parameters.Add(new() { Value = context.Event.Position });
        cmd.Parameters.Add(new() { Value = node });
        await cmd.ExecuteNonQueryAsync(ct);
        await Task.Delay(sleepMs, ct);
    }
}

/// <summary>A projection with no unique key in its table: a batch applied twice would show as duplicate rows.</summary>
internal sealed class SeenProjection(string node, int sleepMs) : IRebuildableProjection
{
    public string Name => "seen";
    public string Kind => "projection";
    public string Schema => "rm_seen";

    public async Task CreateTablesAsync(NpgsqlConnection conn, NpgsqlTransaction tx, string schema, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand($"create table {schema}.seen (event_id uuid not null, position bigint not null, node text not null)", conn, tx);
        await cmd.ExecuteNonQueryAsync(ct);
    }

    public async Task HandleAsync(SubscriptionBatch batch, CancellationToken ct)
    {
        foreach (var e in batch.Events)
        {
            await using var cmd = new NpgsqlCommand($"insert into {batch.Schema}.seen values ($1, $2, $3)", batch.Connection, batch.Transaction);
            cmd.Parameters.Add(new() { Value = e.EventId });
            cmd.Parameters.Add(new() { Value = e.Position });
            cmd.Parameters.Add(new() { Value = node });
            await cmd.ExecuteNonQueryAsync(ct);
            await Task.Delay(sleepMs, ct);
        }
    }
}
