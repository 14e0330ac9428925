using Serilog;

namespace Narrative.EventStore.Subscriptions;

/// <summary>Runs every registered subscription until cancelled. Every process may run one; each subscription has one owner.</summary>
public sealed class SubscriptionDaemon(EventStore store, IEnumerable<ISubscription> subscriptions, SubscriptionOptions? options = null)
{
    public IReadOnlyList<ISubscription> Subscriptions { get; } = subscriptions.ToList();

    public async Task RunAsync(CancellationToken ct)
    {
        foreach (var p in Subscriptions.OfType<IRebuildableProjection>())
            await ProjectionRebuilder.EnsureCreatedAsync(store, p, ct);
        Log.Information("Subscription daemon starting {Count} subscriptions", Subscriptions.Count);
        await Task.WhenAll(Subscriptions.Select(s => Task.Run(() => new SubscriptionRunner(store, s, options).RunAsync(ct), ct)));
    }
}
