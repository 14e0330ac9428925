using Narrative.Analysis.Ingestion;
using Narrative.Domain.Replay;
using Narrative.Storage;
using Narrative.Storage.Subscriptions;
using Narrative.Testing;

namespace Narrative.Analysis.Tests;

/// <summary>Narrative services on a fresh database, with the projection daemon running.</summary>
public sealed class AnalysisHarness : IAsyncDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private Task _daemon = Task.CompletedTask;

    public NarrativeServices Services { get; private set; } = null!;
    public static readonly IngestContext Tests = new("tests", "tests");

    public static async Task<AnalysisHarness> StartAsync(PostgresFixture pg, bool daemon = true)
    {
        var h = new AnalysisHarness { Services = await NarrativeServices.OpenAsync(await pg.CreateDatabaseAsync("an"), default) };
        if (daemon)
            h._daemon = new SubscriptionDaemon(h.Services.Store, h.Services.Projections,
                new SubscriptionOptions { PollInterval = TimeSpan.FromMilliseconds(100) }).RunAsync(h._stop.Token);
        return h;
    }

    public async Task<IReadOnlyList<CorpusOutcome>> IngestSeedsAsync() =>
        await new CorpusIngestor(Services.Ingestion).IngestAsync(CorpusFiles.Load([ApiServer.SeedsFolder()]), Tests, null, default);

    public Task CatchUpAsync() => Services.WaitForProjectionsAsync(TimeSpan.FromSeconds(60), default);

    /// <summary>The whole log, folded by the pure domain: the audit path.</summary>
    public async Task<NarrativeWorld> ReplayAsync()
    {
        var all = new List<StoredEvent>();
        var cursor = GlobalCursor.Start;
        while (true)
        {
            var page = await Services.Store.ReadAllAsync(cursor, 1000, default);
            if (page.Count == 0) break;
            all.AddRange(page);
            cursor = page[^1].Cursor;
        }
        return Services.Audit.Replay(all);
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _daemon;
        await Services.DisposeAsync();
    }
}
