using JasperFx.Events.Daemon;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Narrative.Analysis.Ingestion;
using Narrative.Domain.Replay;
using Narrative.Storage;
using Narrative.Testing;

namespace Narrative.Analysis.Tests;

/// <summary>
/// Narrative as every process runs it (<see cref="NarrativeHosting.AddNarrative"/>: Marten, its async daemon in Solo
/// mode, the relay to the Wolverine handlers) in a generic host over a fresh database.
/// </summary>
public sealed class AnalysisHarness : IAsyncDisposable
{
    private readonly IHost _host;

    private AnalysisHarness(IHost host, string connectionString)
    {
        _host = host;
        ConnectionString = connectionString;
    }

    public string ConnectionString { get; }
    public NarrativeServices Services => _host.Services.GetRequiredService<NarrativeServices>();
    public IServiceProvider Provider => _host.Services;
    public static readonly IngestContext Tests = new("tests", "tests");

    public static async Task<AnalysisHarness> StartAsync(PostgresFixture pg, int handlerAttempts = 3) =>
        await StartOnAsync(await pg.CreateDatabaseAsync("an"), handlerAttempts);

    /// <summary>A host over an existing database (a second process, or the same one after a restart).</summary>
    public static async Task<AnalysisHarness> StartOnAsync(string connectionString, int handlerAttempts = 3)
    {
        var host = await NarrativeHosting.StartHostAsync(connectionString,
            new NarrativeRuntime { DaemonMode = DaemonMode.Solo, HandlerAttempts = handlerAttempts }, null, CancellationToken.None);
        return new AnalysisHarness(host, connectionString);
    }

    public async Task<IReadOnlyList<CorpusOutcome>> IngestSeedsAsync() =>
        await new CorpusIngestor(Services.Ingestion).IngestAsync(CorpusFiles.Load([ApiServer.SeedsFolder()]), Tests, null, default);

    public Task CatchUpAsync() => Services.WaitForProjectionsAsync(TimeSpan.FromSeconds(60), default);

    public Task RebuildAsync(Narrative.Storage.Rebuilds.IBulkRebuildable projection, int? batchSize = null) =>
        Narrative.Storage.Rebuilds.BulkRebuilder.RebuildAsync(Services.Log, projection, null, default, batchSize);

    /// <summary>
    /// Waits until the relay has passed the head of the log (including what reactions appended) and Wolverine's inbox
    /// holds nothing unhandled (messages waiting for a retry count as unhandled; dead letters do not), twice in a row.
    /// </summary>
    public async Task SettleHandlersAsync(int seconds = 30)
    {
        var until = DateTime.UtcNow.AddSeconds(seconds);
        var quiet = 0;
        while (true)
        {
            var (relay, head, pending) = await RelayStateAsync();
            quiet = relay >= head && pending == 0 ? quiet + 1 : 0;
            if (quiet == 2) return;
            if (DateTime.UtcNow > until)
                throw new TimeoutException($"Handlers did not settle in {seconds}s: relay at {relay}, head {head}, {pending} messages pending");
            await Task.Delay(50);
        }
    }

    /// <summary>Where the relay is, the log's head, and how many handler messages Wolverine still holds in its inbox.</summary>
    public async Task<(long Relay, long Head, long Pending)> RelayStateAsync()
    {
        await using var cmd = Services.DataSource.CreateCommand($"""
            select (select coalesce(max(last_seq_id), -1) from {EventStoreSetup.Schema}.mt_event_progression where name = $1),
                   (select coalesce(max(seq_id), 0) from {EventStoreSetup.Schema}.mt_events),
                   (select count(*) from wolverine.wolverine_incoming_envelopes where status <> 'Handled')
            """);
        cmd.Parameters.Add(new() { Value = $"{NarrativeHosting.RelayName}:All" });
        await using var r = await cmd.ExecuteReaderAsync();
        await r.ReadAsync();
        return (r.GetInt64(0), r.GetInt64(1), r.GetInt64(2));
    }

    /// <summary>The whole log in position order.</summary>
    public async Task<IReadOnlyList<StoredEvent>> ReadAllAsync()
    {
        var all = new List<StoredEvent>();
        await foreach (var e in Services.Log.StreamAllAsync(0, default)) all.Add(e);
        return all;
    }

    /// <summary>The whole log, folded by the pure domain: the audit path.</summary>
    public async Task<NarrativeWorld> ReplayAsync() => Services.Audit.Replay(await ReadAllAsync());

    public async ValueTask DisposeAsync()
    {
        await _host.StopAsync();
        _host.Dispose();
    }
}
