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
        o.Projections.FastPollingTime = TimeSpan.FromMilliseconds(50);
        o.Projections.SlowPollingTime = TimeSpan.FromMilliseconds(250);
    }
}
