using Narrative.Analysis;
using Narrative.Analysis.Ingestion;
using Narrative.Storage.Outbox;
using Narrative.Storage.Subscriptions;
using Serilog;

namespace Narrative.Api.Hosting;

/// <summary>Ready once the schema is up, the seeds are ingested and the read models have caught up with them.</summary>
public sealed class Readiness
{
    private volatile string _state = "starting";
    public bool IsReady => _state == "ready";
    public string State => _state;
    public void Set(string state) => _state = state;
}

/// <summary>Runs the projection daemon (unless disabled) and ingests the seed folder at start-up.</summary>
public sealed class StartupWork(NarrativeServices services, NarrativeOptions options, Readiness readiness) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken ct)
    {
        // Every process follows the outbox for its own SSE clients; the daemon and the webhook dispatcher have one owner each.
        using var http = new HttpClient();
        var background = new List<Task> { services.Outbox.RunAsync(ct) };
        if (options.RunDaemon)
        {
            background.Add(new SubscriptionDaemon(services.Store, services.Subscriptions()).RunAsync(ct));
            background.Add(new OutboxDispatcher(services.DataSource, WebhookSink.FromUrls(options.Webhooks, http)).RunAsync(ct));
        }
        var daemon = Task.WhenAll(background);
        try
        {
            if (options.Seeds is { Length: > 0 } seeds)
            {
                readiness.Set("ingesting seeds");
                var entries = CorpusFiles.Load([seeds]);
                var outcomes = await new CorpusIngestor(services.Ingestion).IngestAsync(entries, new IngestContext("seeds", "startup-seeds"), null, ct);
                var failed = outcomes.Where(o => o.Result.Status is IngestStatus.Invalid or IngestStatus.Conflict).ToList();
                foreach (var f in failed)
                    Log.Error("Seed {File} ({Id}) was not ingested: {Status} {Errors}", f.Entry.File, f.Entry.Id, f.Result.Status,
                        string.Join("; ", f.Result.Errors.Select(e => $"{e.Field}: {e.Message}")) + f.Result.Message);
                Log.Information("Seeds: {Created} written, {Unchanged} already held, {Failed} rejected",
                    outcomes.Count(o => o.Result.Status == IngestStatus.Created), outcomes.Count(o => o.Result.Status == IngestStatus.Unchanged), failed.Count);
            }
            if (options.RunDaemon)
            {
                readiness.Set("catching up projections");
                await services.WaitForProjectionsAsync(TimeSpan.FromMinutes(10), ct);
            }
            readiness.Set("ready");
            Log.Information("Narrative is ready");
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            readiness.Set($"failed: {ex.Message}");
            Log.Error(ex, "Start-up work failed");
        }
        await daemon;
    }
}
