using Narrative.Analysis.Audit;
using Narrative.Analysis.Ingestion;
using Narrative.Analysis.Queries;
using Narrative.Analysis.ReadModel;
using Narrative.Analysis.Reactions;
using Narrative.EventStore;
using Narrative.EventStore.Handlers;
using Narrative.EventStore.Outbox;
using Narrative.EventStore.Subscriptions;
using Npgsql;
using Store = Narrative.EventStore.EventStore;

namespace Narrative.Analysis;

/// <summary>Everything the API, the CLI, the tests and the benchmarks use, over one data source.</summary>
public sealed class NarrativeServices : IAsyncDisposable
{
    private NarrativeServices(NpgsqlDataSource db, TimeProvider clock)
    {
        DataSource = db;
        Clock = clock;
        Store = new Store(db, NarrativeEvents.CreateRegistry());
        Ingestion = new IngestionService(Store, clock);
        Queries = new AnalysisQueries(db, CachedTopics());
        Audit = new AuditService(Store, Queries);
        Projections = [new AnalysisProjection()];
        Handlers = NarrativeReactions.Register(new HandlerRegistry());
        DeadLetters = new DeadLetters(Store, Handlers, new HandlerOptions { Time = clock });
        Outbox = new OutboxFeed(db);
    }

    /// <summary>NARRATIVE_TOPIC_CACHE: how many topics' slices queries keep in memory (0 turns the cache off).</summary>
    private static int CachedTopics() =>
        int.TryParse(Environment.GetEnvironmentVariable("NARRATIVE_TOPIC_CACHE"), out var n) && n >= 0 ? n : AnalysisQueries.DefaultCachedTopics;

    public NpgsqlDataSource DataSource { get; }
    public TimeProvider Clock { get; }
    public Store Store { get; }
    public IngestionService Ingestion { get; }
    public AnalysisQueries Queries { get; }
    public AuditService Audit { get; }
    public IReadOnlyList<IRebuildableProjection> Projections { get; }

    /// <summary>The reactions to new events (coincidence, provenance, contradiction, assessment watch).</summary>
    public HandlerRegistry Handlers { get; }
    public DeadLetters DeadLetters { get; }

    /// <summary>Alerts written by handlers, for SSE clients (each process follows the outbox table itself).</summary>
    public OutboxFeed Outbox { get; }

    /// <summary>Projections and handlers, as the daemon runs them.</summary>
    public IReadOnlyList<ISubscription> Subscriptions(HandlerOptions? options = null) =>
        [.. Projections, .. Handlers.CreateSubscriptions(Store.Types, options ?? new HandlerOptions { Time = Clock })];

    /// <summary>Opens the database and applies migrations (safe to run concurrently from several processes).</summary>
    public static async Task<NarrativeServices> OpenAsync(string connectionString, CancellationToken ct, TimeProvider? clock = null)
    {
        var db = new NpgsqlDataSourceBuilder(connectionString).Build();
        await Schema.MigrateAsync(db, [typeof(Store).Assembly, typeof(NarrativeServices).Assembly], ct);
        var services = new NarrativeServices(db, clock ?? TimeProvider.System);
        foreach (var p in services.Projections) await ProjectionRebuilder.EnsureCreatedAsync(services.Store, p, ct);
        return services;
    }

    public IRebuildableProjection? Projection(string name) => Projections.FirstOrDefault(p => p.Name == name);

    /// <summary>Waits until every projection has processed everything appended so far (tests, CLI, start-up).</summary>
    public async Task WaitForProjectionsAsync(TimeSpan timeout, CancellationToken ct)
    {
        var until = DateTime.UtcNow + timeout;
        while (true)
        {
            var status = await SubscriptionStatusQuery.ReadAsync(DataSource, ct);
            var names = Projections.Select(p => p.Name).ToHashSet();
            if (status.Where(s => names.Contains(s.Name)).All(s => s.Lag == 0) && status.Count(s => names.Contains(s.Name)) == names.Count) return;
            if (DateTime.UtcNow > until)
                throw new TimeoutException($"Projections did not catch up within {timeout}: {string.Join(", ", status.Select(s => $"{s.Name} lag {s.Lag} {s.State} {s.LastError}"))}");
            await Task.Delay(20, ct);
        }
    }

    public ValueTask DisposeAsync() => DataSource.DisposeAsync();
}
