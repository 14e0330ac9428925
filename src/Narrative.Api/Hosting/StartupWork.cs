using Narrative.Analysis;
using Narrative.Analysis.Ingestion;
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

/// <summary>Ingests the seed folder at start-up and waits for the read model (Marten's daemon runs as its own hosted service).</summary>
public sealed class StartupWork(NarrativeServices services, NarrativeOptions options, Readiness readiness) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken ct)
    {
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
    }
}
