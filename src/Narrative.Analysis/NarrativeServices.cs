using Narrative.Analysis.Alerts;
using Narrative.Analysis.Audit;
using Narrative.Analysis.Capture;
using Narrative.Analysis.Ingestion;
using Narrative.Analysis.Queries;
using Narrative.Analysis.ReadModel;
using Narrative.Storage;
using Narrative.Storage.Rebuilds;
using Npgsql;

namespace Narrative.Analysis;

/// <summary>The application's services, as the API's endpoints, the CLI's commands and the tests use them.</summary>
public sealed class NarrativeServices(
    EventLog log, IngestionService ingestion, CaptureService captures, AnalysisQueries queries, AuditService audit,
    AnalysisProjection projection, DeadLetters deadLetters, HandlerInbox inbox, AlertFeed alerts, TimeProvider clock, ReadRouter reads,
    Analysts.AnalystService analysts)
{
    /// <summary>Analysts, their keys and their ratings.</summary>
    public Analysts.AnalystService Analysts { get; } = analysts;

    public EventLog Log { get; } = log;
    public NpgsqlDataSource DataSource => Log.DataSource;
    public TimeProvider Clock { get; } = clock;
    public IngestionService Ingestion { get; } = ingestion;
    public CaptureService Captures { get; } = captures;
    public AnalysisQueries Queries { get; } = queries;

    /// <summary>The primary and the read replicas, and which one a query goes to.</summary>
    public ReadRouter Reads { get; } = reads;
    public AuditService Audit { get; } = audit;
    public AnalysisProjection Projection { get; } = projection;
    public DeadLetters DeadLetters { get; } = deadLetters;
    public HandlerInbox Inbox { get; } = inbox;

    /// <summary>Alerts this process delivered, for SSE clients.</summary>
    public AlertFeed Alerts { get; } = alerts;

    /// <summary>The projections whose read model can be rebuilt in bulk, by name.</summary>
    public IBulkRebuildable? Rebuildable(string name) => name == Projection.Name ? Projection : null;

    public Task RebuildAsync(IBulkRebuildable projection, IProgress<RebuildProgress>? progress, CancellationToken ct) =>
        BulkRebuilder.RebuildAsync(Log, projection, progress, ct);

    /// <summary>Marten's shards on the primary, then one row per read replica (kind "replica") with its lag.</summary>
    public async Task<IReadOnlyList<ProjectionStatus>> StatusAsync(CancellationToken ct)
    {
        var shards = await ProjectionStatus.ReadAsync(DataSource, ct);
        if (Reads.Replicas.Count == 0) return shards;
        var head = shards.FirstOrDefault()?.Head ?? await Log.HeadAsync(ct);
        var replicas = (await Reads.LagAsync(ct)).Select(x => new ProjectionStatus($"replica:{x.Replica.Name}", "replica", x.Position ?? 0, head,
            Math.Max(0, head - (x.Position ?? 0)), x.Lag is null ? "unreachable" : "streaming", null, null, [], x.Lag));
        return [.. shards, .. replicas];
    }

    /// <summary>
    /// <see cref="StatusAsync"/>, with the handlers' row carrying how many messages wait in Wolverine's inbox (the admin
    /// route and the CLI; one more query, over the whole inbox, so not for polling).
    /// </summary>
    public async Task<IReadOnlyList<ProjectionStatus>> StatusWithInboxAsync(CancellationToken ct)
    {
        var rows = await StatusAsync(ct);
        var inbox = await Inbox.CountAsync();
        return [.. rows.Select(r => r.Name == NarrativeHosting.RelayName ? r with { Queued = inbox.Queued } : r)];
    }

    /// <summary>Waits until the analysis projection has processed everything appended so far (tests, CLI, start-up).</summary>
    public async Task WaitForProjectionsAsync(TimeSpan timeout, CancellationToken ct)
    {
        var until = DateTime.UtcNow + timeout;
        while (true)
        {
            var head = await Log.HeadAsync(ct);
            // An empty log is caught up, though the daemon writes no progression row until its first event.
            if (head == 0) return;
            var status = await StatusAsync(ct);
            var analysis = status.FirstOrDefault(s => s.Name == Projection.Name);
            if (analysis is not null && analysis.Position >= head) return;
            if (DateTime.UtcNow > until)
                throw new TimeoutException($"Projections did not catch up with position {head} within {timeout}: " +
                    string.Join(", ", status.Select(s => $"{s.Name} at {s.Position}")));
            await Task.Delay(20, ct);
        }
    }
}
