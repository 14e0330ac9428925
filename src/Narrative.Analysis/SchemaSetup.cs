using System.Reflection;
using Marten;
using Microsoft.Extensions.Hosting;
using Narrative.Analysis.ReadModel;
using Narrative.Storage;
using Narrative.Storage.Rebuilds;
using Npgsql;

namespace Narrative.Analysis;

/// <summary>
/// Runs first at start-up: Marten's tables (events, streams, progression; Wolverine's envelope tables ride along
/// with them), the catalog that validation reads, and the analysis read model, rebuilt when it was built by another
/// version. Safe to run from several processes at once: each step is idempotent or takes an advisory lock.
/// </summary>
public sealed class SchemaSetup(IDocumentStore store, EventLog log, AnalysisProjection projection) : IHostedService
{
    public async Task StartAsync(CancellationToken ct)
    {
        await store.Storage.ApplyAllConfiguredChangesToDatabaseAsync();
        await ApplyCatalogAsync(log.DataSource, ct);
        await IndexReactionLookupsAsync(log.DataSource, ct);
        await BulkRebuilder.EnsureCreatedAsync(log, projection, ct);
    }

    public Task StopAsync(CancellationToken ct) => Task.CompletedTask;

    /// <summary>
    /// The reactions read <c>mt_events</c> by type and by fields of the event body (item, claim, topic); without these
    /// indexes every reaction is a sequential scan of the whole log.
    /// </summary>
    private static async Task IndexReactionLookupsAsync(NpgsqlDataSource db, CancellationToken ct)
    {
        const string Events = EventStoreSetup.Schema + ".mt_events";
        await using var cmd = db.CreateCommand($"""
            create index if not exists ix_events_type_topic on {Events} (type, (data->>'topic'));
            create index if not exists ix_events_item on {Events} ((data->>'itemId'));
            create index if not exists ix_events_claim on {Events} ((data->>'claim'));
            create index if not exists ix_events_stream_timestamp on {Events} (stream_id, timestamp);
            """);
        await cmd.ExecuteNonQueryAsync(ct);
    }

    private static async Task ApplyCatalogAsync(NpgsqlDataSource db, CancellationToken ct)
    {
        var assembly = Assembly.GetExecutingAssembly();
        await using var conn = await db.OpenConnectionAsync(ct);
        await using var tx = await conn.BeginTransactionAsync(ct);
        await using (var lk = new NpgsqlCommand("select pg_advisory_xact_lock(hashtextextended('narrative.catalog', 0))", conn, tx))
            await lk.ExecuteNonQueryAsync(ct);
        foreach (var name in assembly.GetManifestResourceNames().Where(n => n.EndsWith(".sql", StringComparison.Ordinal)).Order(StringComparer.Ordinal))
        {
            await using var stream = assembly.GetManifestResourceStream(name)!;
            using var text = new StreamReader(stream);
            await using var cmd = new NpgsqlCommand(await text.ReadToEndAsync(ct), conn, tx);
            await cmd.ExecuteNonQueryAsync(ct);
        }
        await tx.CommitAsync(ct);
    }
}
