using Serilog;

namespace Narrative.EventStore.Subscriptions;

/// <summary>
/// Runs every registered subscription until cancelled. Every process may run one; each subscription has one owner.
/// Cancellation is the way to stop it, at any moment (even while it is starting): it then returns normally.
/// </summary>
public sealed class SubscriptionDaemon(EventStore store, IEnumerable<ISubscription> subscriptions, SubscriptionOptions? options = null)
{
    public IReadOnlyList<ISubscription> Subscriptions { get; } = subscriptions.ToList();

    public async Task RunAsync(CancellationToken ct)
    {
        try
        {
            foreach (var p in Subscriptions.OfType<IRebuildableProjection>())
                await ProjectionRebuilder.EnsureCreatedAsync(store, p, ct);
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            return;
        }
        Log.Information("Subscription daemon starting {Count} subscriptions", Subscriptions.Count);
        // Not Task.Run(..., ct): a token cancelled before a runner starts would fault the whole daemon with
        // TaskCanceledException; each runner returns by itself when it sees the token.
        await Task.WhenAll(Subscriptions.Select(s => Task.Run(() => new SubscriptionRunner(store, s, options).RunAsync(ct), CancellationToken.None)));
    }
}
