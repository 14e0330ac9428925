using JasperFx.Core;
using JasperFx.Events.Daemon;
using JasperFx.Events.Projections;
using Marten;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Narrative.Analysis.Alerts;
using Narrative.Analysis.Audit;
using Narrative.Analysis.Ingestion;
using Narrative.Analysis.Queries;
using Narrative.Analysis.Reactions;
using Narrative.Analysis.ReadModel;
using Narrative.Domain;
using Narrative.Storage;
using Microsoft.Extensions.Logging;
using Npgsql;
using Serilog;
using Wolverine;
using Wolverine.ErrorHandling;
using Wolverine.Marten;

namespace Narrative.Analysis;

/// <summary>How this process takes part: whether it runs the daemon and the handlers, and their settings.</summary>
public sealed record NarrativeRuntime
{
    /// <summary>Run Marten's async daemon (projections, the relay to the handlers) and Wolverine's durability agents here.</summary>
    public bool Daemon { get; init; } = true;

    /// <summary>
    /// HotCold: one node owns the whole daemon at a time, elected by an advisory lock; Solo for one process (tests,
    /// benchmarks); ExternallyManaged ("distributed"): Wolverine's node agents spread the projections and the relay
    /// across the nodes, one owner each, and reassign a dead node's share (<see cref="NarrativeHosting.Distributed"/>).
    /// </summary>
    public DaemonMode DaemonMode { get; init; } = DaemonMode.HotCold;

    /// <summary>Attempts per handler message before it is dead-lettered (the first and the retries).</summary>
    public int HandlerAttempts { get; init; } = 3;

    public IReadOnlyList<string> Webhooks { get; init; } = [];

    /// <summary>How many topics' slices queries keep in memory (0 turns the cache off).</summary>
    public int CachedTopics { get; init; } = AnalysisQueries.DefaultCachedTopics;

    /// <summary>Connection strings of streaming replicas that serve point-in-time queries (none: the primary serves them).</summary>
    public IReadOnlyList<string> ReadReplicas { get; init; } = [];

    /// <summary>How long a query that presents a consistency token waits for a replica (then for the primary's read model).</summary>
    public TimeSpan ConsistencyWait { get; init; } = TimeSpan.FromSeconds(2);
}

/// <summary>
/// Wires Narrative onto Marten and Wolverine, the same way for the API, the CLI, the tests and the benchmarks: Marten's
/// event store and async daemon (the analysis projection, and the relay of ingestion events to Wolverine), Wolverine's
/// handlers with its durable inbox, retries, dead letters and outbox, and Narrative's own services over them.
/// </summary>
public static class NarrativeHosting
{
    /// <summary>The Marten subscription that relays ingestion events to the Wolverine handlers.</summary>
    public const string RelayName = "reactions";

    /// <summary>
    /// Starts a generic host with Narrative and nothing else (no appsettings, command line or default console logger):
    /// the CLI, the helper node, the tests and the benchmarks. Marten's and Wolverine's logs go to <paramref name="log"/>,
    /// or nowhere without one. The caller stops and disposes the host.
    /// </summary>
    public static async Task<IHost> StartHostAsync(string connectionString, NarrativeRuntime runtime, Serilog.ILogger? log, CancellationToken ct)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { Args = [], DisableDefaults = true });
        builder.Logging.ClearProviders();
        if (log is not null) builder.Services.AddSerilog(log, dispose: false);
        builder.Services.AddNarrative(connectionString, runtime);
        var host = builder.Build();
        try
        {
            await host.StartAsync(ct);
        }
        catch
        {
            host.Dispose();
            throw;
        }
        return host;
    }

    /// <summary>The daemon mode in which Wolverine distributes the projections and the relay across the nodes.</summary>
    public const DaemonMode Distributed = DaemonMode.ExternallyManaged;

    /// <summary>
    /// Heartbeats every second and a node counted dead after 5 s without one, so that a killed node's projections and
    /// relay are running elsewhere within about 15 s (Wolverine's defaults take minutes). The cost is one small
    /// update per node per second.
    /// </summary>
    private static void FailOverQuickly(DurabilitySettings d)
    {
        d.HealthCheckPollingTime = TimeSpan.FromSeconds(1);
        d.FirstHealthCheckExecution = TimeSpan.FromMilliseconds(200);
        d.StaleNodeTimeout = TimeSpan.FromSeconds(5);
        d.CheckAssignmentPeriod = TimeSpan.FromSeconds(2);
    }

    public static void AddNarrative(this IServiceCollection services, string connectionString, NarrativeRuntime runtime)
    {
        connectionString = EventStoreSetup.PooledConnectionString(connectionString);
        services.AddSingleton(runtime);
        services.AddSingleton(TimeProvider.System);
        services.AddSingleton(_ => new NpgsqlDataSourceBuilder(connectionString).Build());
        // Hosted services start in this order and stop in the reverse: the LISTEN connection closes after the daemon stops.
        services.AddHostedService<ListenWakeupShutdown>();
        // Before Marten's and Wolverine's hosted services, so the read model exists before the daemon writes to it.
        services.AddHostedService<SchemaSetup>();

        var projection = new AnalysisProjection();
        services.AddSingleton(projection);
        var marten = services.AddMarten(o =>
            {
                EventStoreSetup.Configure(o, connectionString, NarrativeEventTypes.All, NarrativeEvents.Json);
                o.Projections.Add(projection, ProjectionLifecycle.Async, AnalysisProjection.ProjectionName,
                    a => { foreach (var table in AnalysisProjection.Tables) a.DeleteDataInTableOnTeardown($"{AnalysisProjection.LiveSchema}.{table}"); });
            })
            .UseLightweightSessions()
            .IntegrateWithWolverine(w =>
            {
                w.MessageStorageSchemaName = "wolverine";
                // Wolverine's agents then run each projection and subscription on one node, spread evenly; it replaces
                // Marten's own daemon (which must not also be added).
                w.UseWolverineManagedEventSubscriptionDistribution = runtime.Daemon && runtime.DaemonMode == Distributed;
            });
        if (runtime.Daemon)
        {
            if (runtime.DaemonMode != Distributed) marten.AddAsyncDaemon(runtime.DaemonMode);
            marten.PublishEventsToWolverine(RelayName, r =>
            {
                r.PublishEvent<ItemRecorded>();
                r.PublishEvent<ItemRerated>();
                r.PublishEvent<ItemRetracted>();
                r.PublishEvent<SignpostSet>();
                r.PublishEvent<Narrative.Domain.Analysts.RatingRecorded>();
            });
            services.AddHostedService<Reactions.SignpostClock>();
        }

        services.AddSingleton(sp => new EventLog(sp.GetRequiredService<IDocumentStore>(), sp.GetRequiredService<NpgsqlDataSource>()));
        services.AddSingleton(sp => new IngestionService(sp.GetRequiredService<EventLog>(), sp.GetRequiredService<TimeProvider>()));
        services.AddSingleton(sp => new Capture.CaptureService(sp.GetRequiredService<EventLog>()));
        services.AddSingleton(sp => new Analysts.AnalystService(sp.GetRequiredService<EventLog>()));
        services.AddSingleton(sp => new AnalysisQueries(sp.GetRequiredService<NpgsqlDataSource>(), runtime.CachedTopics));
        services.AddSingleton(sp => new ReadRouter(
            new ReadTarget("primary", sp.GetRequiredService<NpgsqlDataSource>(), sp.GetRequiredService<AnalysisQueries>(), false),
            runtime.ReadReplicas, runtime.CachedTopics, runtime.ConsistencyWait));
        services.AddSingleton(sp => new AuditService(sp.GetRequiredService<EventLog>(), sp.GetRequiredService<AnalysisQueries>()));
        services.AddSingleton<DeadLetters>();
        services.AddSingleton<HandlerInbox>();
        services.AddSingleton<NarrativeServices>();
        services.AddSingleton(new WebhookSettings(runtime.Webhooks));
        services.AddSingleton<AlertFeed>();
        services.AddSingleton(new HttpClient { Timeout = TimeSpan.FromSeconds(10) });

        services.AddWolverine(opts =>
        {
            opts.ServiceName = "narrative";
            opts.UseRuntimeCompilation();
            // The handlers live here, whichever assembly starts the host (the API, the CLI, a test or the benchmarks):
            // named explicitly, Wolverine neither guesses it from the entry assembly nor warns that it guessed.
            opts.ApplicationAssembly = typeof(NarrativeHosting).Assembly;
            opts.Discovery.DisableConventionalDiscovery();
            foreach (var handler in NarrativeReactions.Handlers) opts.Discovery.IncludeType(handler);
            // Each reaction gets its own durable local queue: its own inbox rows, retries and dead letters.
            opts.MultipleHandlerBehavior = MultipleHandlerBehavior.Separated;
            opts.Policies.UseDurableLocalQueues();
            opts.Durability.Mode = runtime.Daemon ? DurabilityMode.Balanced : DurabilityMode.Serverless;
            // Wolverine's envelope-count metrics group every inbox row by status every 5 s, handled rows included (kept
            // 5 minutes for idempotency): at 500 events/s, five reactions each, that scan took 0.1–0.4 s a time. Nothing
            // here reads those metrics; /api/admin/projections reports the relay's lag from Marten instead.
            opts.Durability.DurabilityMetricsEnabled = false;
            if (runtime.Daemon && runtime.DaemonMode == Distributed) FailOverQuickly(opts.Durability);
            var delays = Enumerable.Range(1, Math.Max(0, runtime.HandlerAttempts - 1))
                .Select(i => (100 * (1 << (i - 1))).Milliseconds()).ToArray();
            if (delays.Length > 0) opts.OnException<Exception>().RetryWithCooldown(delays).Then.MoveToErrorQueue();
            else opts.OnException<Exception>().MoveToErrorQueue();
        });
    }
}
