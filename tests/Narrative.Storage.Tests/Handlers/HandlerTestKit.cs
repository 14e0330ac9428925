using System.Collections.Concurrent;
using System.Globalization;
using Narrative.Storage.Handlers;
using Narrative.Storage.Subscriptions;
using Npgsql;

namespace Narrative.Storage.Tests.Handlers;

internal static class HandlerTestKit
{
    public static readonly SubscriptionOptions Fast = new()
    {
        PollInterval = TimeSpan.FromMilliseconds(50), BatchSize = 10, MaxBackoff = TimeSpan.FromMilliseconds(300),
    };

    public static readonly HandlerOptions QuickRetries = new()
    {
        RetryBaseDelay = TimeSpan.FromMilliseconds(10), RetryMaxDelay = TimeSpan.FromMilliseconds(40),
    };

    public static async Task<long> Scalar(NpgsqlDataSource db, string sql, params object[] args)
    {
        await using var cmd = db.CreateCommand(sql);
        foreach (var a in args) cmd.Parameters.Add(new() { Value = a });
        return Convert.ToInt64(await cmd.ExecuteScalarAsync(), CultureInfo.InvariantCulture);
    }

    public static async Task Exec(NpgsqlDataSource db, string sql)
    {
        await using var cmd = db.CreateCommand(sql);
        await cmd.ExecuteNonQueryAsync();
    }

    public static async Task WaitFor(Func<Task<bool>> condition, int seconds = 20, string what = "condition")
    {
        var until = DateTime.UtcNow.AddSeconds(seconds);
        while (!await condition())
        {
            if (DateTime.UtcNow > until) throw new TimeoutException($"{what} not reached within {seconds}s");
            await Task.Delay(25);
        }
    }

    /// <summary>Runs the handlers of <paramref name="registry"/> in this process until the returned handle is disposed.</summary>
    public static Running Run(EventStore store, HandlerRegistry registry, SubscriptionOptions? options = null) =>
        new(store, registry, options ?? Fast);

    public sealed class Running : IAsyncDisposable
    {
        private readonly CancellationTokenSource _stop = new();
        private readonly Task _task;

        public Running(EventStore store, HandlerRegistry registry, SubscriptionOptions options) =>
            _task = new SubscriptionDaemon(store, registry.CreateSubscriptions(store.Types, QuickRetries), options).RunAsync(_stop.Token);

        public async ValueTask DisposeAsync()
        {
            await _stop.CancelAsync();
            await _task;
            _stop.Dispose();
        }
    }
}

/// <summary>
/// Per note, appends one <see cref="Renamed"/> to <c>effect-{event id}</c>. Fails the first <see cref="FailuresPerEvent"/>
/// attempts for each event, and every attempt on notes whose text is in <see cref="Poison"/>.
/// </summary>
public sealed class AppendingHandler
{
    public int FailuresPerEvent { get; init; }
    public ConcurrentDictionary<string, bool> Poison { get; } = new();
    public ConcurrentDictionary<Guid, int> Attempts { get; } = new();

    public async Task Handle(Noted noted, HandlerContext context, CancellationToken ct)
    {
        var attempt = Attempts.AddOrUpdate(context.Event.EventId, 1, (_, n) => n + 1);
        // The effect comes first, so a failure after it proves that the savepoint rolls it back.
        await context.AppendAsync($"effect-{context.Event.EventId:N}", ExpectedVersion.Any, [new Renamed(noted.Text)], ct);
        if (Poison.ContainsKey(noted.Text)) throw new InvalidOperationException($"cannot handle '{noted.Text}'");
        if (attempt <= FailuresPerEvent) throw new TimeoutException($"flaky attempt {attempt}");
    }
}

/// <summary>Inserts one row per note into <c>effects</c> (no unique key, so a duplicate effect shows as a second row).</summary>
public sealed class EffectsHandler
{
    public int Calls;

    public const string Table = "create table if not exists effects (event_id uuid not null, position bigint not null)";

    public void Handle(Noted noted, HandlerContext context)
    {
        Interlocked.Increment(ref Calls);
        using var cmd = new NpgsqlCommand("insert into effects (event_id, position) values ($1, $2)", context.Connection, context.Transaction);
        cmd.Parameters.Add(new() { Value = context.Event.EventId });
        cmd.Parameters.Add(new() { Value = context.Event.Position });
        cmd.ExecuteNonQuery();
    }
}
