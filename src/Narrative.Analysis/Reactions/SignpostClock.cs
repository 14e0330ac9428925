using Microsoft.Extensions.Hosting;
using Narrative.Analysis.Alerts;
using Narrative.Domain;
using Narrative.Domain.Replay;
using Narrative.Domain.Signposts;
using Narrative.Storage;
using Serilog;
using Wolverine;

namespace Narrative.Analysis.Reactions;

/// <summary>
/// The signposts' daily timer: a deadline passes in world time even when no later item arrives. Once at start-up and
/// then once a day, every signpost whose deadline is before today (UTC) and that no held item matches gets a
/// <see cref="SignpostExpired"/> (a matching item whose watcher has not run yet gets its match recorded instead) (causation: the signpost's own event) and an alert through Wolverine's outbox. Ids are
/// the watcher's, so every node may run the timer and a deadline still expires once.
/// </summary>
public sealed class SignpostClock(EventLog log, TimeProvider clock, IServiceProvider services) : BackgroundService
{
    public static readonly TimeSpan Interval = TimeSpan.FromDays(1);

    /// <summary>Expires what is due as of <paramref name="today"/>; returns the alerts raised (one per expiry newly recorded).</summary>
    public static async Task<IReadOnlyList<Alert>> ExpireDueAsync(EventLog log, DateOnly today, CancellationToken ct)
    {
        await using var cmd = log.DataSource.CreateCommand($"""
            select id, type, data::text from {EventStoreSetup.Schema}.mt_events where type = any($1) order by seq_id
            """);
        cmd.Parameters.Add(new() { Value = new[] { log.TypeName(typeof(SignpostSet)), log.TypeName(typeof(SignpostMatched)), log.TypeName(typeof(SignpostExpired)) } });
        var events = new List<(Guid, object)>();
        await using (var r = await cmd.ExecuteReaderAsync(ct))
            while (await r.ReadAsync(ct))
                if (log.Deserialize(r.GetString(1), r.GetString(2)) is { } data) events.Add((r.GetGuid(0), data));
        var alerts = new List<Alert>();
        foreach (var s in events.Select(e => e.Item2).OfType<SignpostSet>().Select(x => x.Topic).Distinct(StringComparer.Ordinal)
                     .SelectMany(topic => SignpostWatcher.Fold(events.Where(e => Topic(e.Item2) == topic))))
        {
            if (SignpostRules.OnTimer(s.Set, s.Matched, s.Expired, today) is not { } expired) continue;
            foreach (var outcome in await SignpostWatcher.ExpiryOrHeldMatchesAsync(log, s.Set, expired, ct))
            {
                var item = (outcome as SignpostMatched)?.ItemId;
                if (await SignpostWatcher.RecordAsync(log, s.Set, outcome, item, s.SetEventId.ToString(), s.SetEventId.ToString(), "timer:signpost-clock", ct) is { } alert)
                    alerts.Add(alert);
            }
        }
        return alerts;
    }

    private static string? Topic(object e) => e switch
    {
        SignpostSet s => s.Topic,
        SignpostMatched m => m.Topic,
        SignpostExpired x => x.Topic,
        _ => null,
    };

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(Interval, clock);
        do
        {
            try
            {
                var alerts = await ExpireDueAsync(log, WorldQueries.WorldDate(clock.GetUtcNow()), stoppingToken);
                if (alerts.Count > 0)
                {
                    var bus = services.GetService(typeof(IMessageBus)) as IMessageBus;
                    foreach (var alert in alerts)
                        if (bus is not null) await bus.PublishAsync(alert);
                    Log.Information("Signpost clock expired {Count} signposts", alerts.Count);
                }
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                Log.Warning(ex, "Signpost clock run failed; it runs again at the next tick");
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }
}
