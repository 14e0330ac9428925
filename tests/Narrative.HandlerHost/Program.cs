using JasperFx.Events.Daemon;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Narrative.Analysis;
using Npgsql;
using Serilog;
using Serilog.Events;

// Usage: Narrative.HandlerHost <connection string> [--node name] [--distributed]
// Runs one Narrative node until killed: AddNarrative with Marten's daemon in HotCold mode, so that of several such
// processes on one database exactly one owns the daemon (Marten's advisory lock) and another takes over when it dies.
// Prints "ready <node>" once started, then "owner <node>" when it starts running the daemon and "standby <node>" when it
// stops, so a test knows which process to kill (Marten derives its lock key itself, so pg_locks does not say which it is).
if (args.Length < 1)
{
    await Console.Error.WriteLineAsync("usage: Narrative.HandlerHost <connection string> [--node name]");
    return 2;
}
var node = Array.IndexOf(args, "--node") is var i and >= 0 && i + 1 < args.Length ? args[i + 1] : $"host-{Environment.ProcessId}";
// --distributed: Wolverine's agents spread the projection and the relay over the nodes; the node prints
// "agents <node> <uri> ..." whenever the set of event-subscription agents it runs changes.
var distributed = args.Contains("--distributed");

Log.Logger = new LoggerConfiguration().MinimumLevel.Information()
    .MinimumLevel.Override("Microsoft", LogEventLevel.Warning)
    .Enrich.WithProperty("Node", node)
    .WriteTo.Console(standardErrorFromLevel: LogEventLevel.Verbose).CreateLogger();

// Every connection of this node carries its name, so a test can tell the nodes' sessions (and locks) apart.
var cs = new NpgsqlConnectionStringBuilder(args[0]) { ApplicationName = node }.ConnectionString;
using var host = await NarrativeHosting.StartHostAsync(cs,
    new NarrativeRuntime { Daemon = true, DaemonMode = distributed ? NarrativeHosting.Distributed : DaemonMode.HotCold },
    Log.Logger, CancellationToken.None);
Console.WriteLine($"ready {node}");
if (distributed)
{
    var runtime = host.Services.GetRequiredService<Wolverine.Runtime.IWolverineRuntime>();
    var stop = host.Services.GetRequiredService<IHostApplicationLifetime>().ApplicationStopping;
    var last = "";
    while (!stop.IsCancellationRequested)
    {
        var agents = string.Join(' ', runtime.Agents.AllRunningAgentUris().Select(u => u.ToString())
            .Where(u => u.StartsWith("event-subscriptions:", StringComparison.Ordinal)).Order(StringComparer.Ordinal));
        if (agents != last)
        {
            last = agents;
            Console.WriteLine($"agents {node} {agents}");
        }
        try { await Task.Delay(50, stop); }
        catch (OperationCanceledException) { break; }
    }
    await host.WaitForShutdownAsync();
    await Log.CloseAndFlushAsync();
    return 0;
}
var coordinator = host.Services.GetRequiredService<Marten.Events.Daemon.Coordination.IProjectionCoordinator>();
var stopping = host.Services.GetRequiredService<IHostApplicationLifetime>().ApplicationStopping;
var owning = false;
while (!stopping.IsCancellationRequested)
{
    if (coordinator.DaemonForMainDatabase().IsRunning != owning)
    {
        owning = !owning;
        Console.WriteLine($"{(owning ? "owner" : "standby")} {node}");
    }
    try { await Task.Delay(50, stopping); }
    catch (OperationCanceledException) { break; }
}
await host.WaitForShutdownAsync();
await Log.CloseAndFlushAsync();
return 0;
