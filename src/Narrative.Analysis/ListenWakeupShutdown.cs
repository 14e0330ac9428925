using Marten;
using Microsoft.Extensions.Hosting;

namespace Narrative.Analysis;

/// <summary>
/// Closes Marten's LISTEN connection (the daemon's wake-up on appends, <c>UseListenNotifyForEventAppends</c>) when the
/// host stops. Marten 9.58 opens it when the daemon starts and never disposes it, so it stayed open until the process
/// ended, and stopping the embedded server before that logged "PostgreSQL LISTEN connection error" with a stack trace
/// on every shutdown. Registered before Marten and Wolverine, it stops after them, when the daemon no longer waits on it.
/// </summary>
public sealed class ListenWakeupShutdown(StoreOptions options) : IHostedService
{
    public Task StartAsync(CancellationToken ct) => Task.CompletedTask;

    public Task StopAsync(CancellationToken ct)
    {
        (options.Projections.Wakeup as IDisposable)?.Dispose();
        return Task.CompletedTask;
    }
}
