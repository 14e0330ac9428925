using System.Text.Json;
using JasperFx;
using JasperFx.Events;
using Marten;
using Weasel.Core;

namespace Narrative.Storage;

/// <summary>
/// The one Marten configuration every process uses (API, CLI, tests, benchmarks): events in our own schema, string
/// stream keys, stable type names, metadata columns, quick appends with the server's clock, and the daemon's
/// gap-safety settings left at their safe defaults with skips recorded.
/// </summary>
public static class EventStoreSetup
{
    /// <summary>The PostgreSQL schema of Marten's tables (mt_events, mt_streams, mt_event_progression, ...).</summary>
    public const string Schema = "narrative";

    /// <summary>
    /// The connection string every pool of the process uses. Unless it says otherwise, pooled connections are not reset
    /// with DISCARD ALL when returned: DISCARD ALL also drops the plans PL/pgSQL caches per session, so each call of
    /// Marten's append function re-planned its statements, which made it the most expensive statement under load.
    /// Nothing here leaves session state on a pooled connection (locks are transaction-scoped, no SET, no temp tables).
    /// </summary>
    public static string PooledConnectionString(string connectionString)
    {
        var builder = new Npgsql.NpgsqlConnectionStringBuilder(connectionString);
        if (!connectionString.Contains("reset", StringComparison.OrdinalIgnoreCase)) builder.NoResetOnClose = true;
        return builder.ConnectionString;
    }

    public static void Configure(StoreOptions o, string connectionString, IEnumerable<(Type Type, string Name)> eventTypes, JsonSerializerOptions json)
    {
        o.Connection(connectionString);
        o.DatabaseSchemaName = Schema;
        o.AutoCreateSchemaObjects = AutoCreate.CreateOrUpdate;
        o.UseSystemTextJsonForSerialization(new JsonSerializerOptions(json), EnumStorage.AsString, Casing.CamelCase);

        o.Events.StreamIdentity = StreamIdentity.AsString;
        // System time is the database's: Quick appends with server timestamps, one clock for every node.
        o.Events.AppendMode = EventAppendMode.QuickWithServerTimestamps;
        o.Events.MetadataConfig.CorrelationIdEnabled = true;
        o.Events.MetadataConfig.CausationIdEnabled = true;
        o.Events.MetadataConfig.HeadersEnabled = true;
        o.Events.MetadataConfig.UserNameEnabled = true;
        o.Events.EnableUniqueIndexOnEventId = true;
        foreach (var (type, name) in eventTypes) o.Events.MapEventType(type, name);

        // Ordering safety is Marten's: wait for live transactions before skipping a gap (the default), never skip
        // a gap merely because it is old, and record every skip in mt_high_water_skips.
        o.Projections.UseTransactionEvidenceForGapSkipping = true;
        o.Projections.SkipStaleGapsDespiteLiveTransactionsAfter = null;
        o.Events.EnableAdvancedAsyncTracking = true;
        // Every append also sends a NOTIFY, which wakes the daemon's high-water agent at once; polling stays as the
        // safety net (a missed notification, a server restart).
        o.Events.UseListenNotifyForEventAppends = true;
        o.Projections.FastPollingTime = TimeSpan.FromMilliseconds(50);
        o.Projections.SlowPollingTime = TimeSpan.FromMilliseconds(250);
    }
}
