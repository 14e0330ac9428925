using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using Narrative.Storage.Handlers;
using Narrative.Storage.Outbox;
using Narrative.Testing;
using Npgsql;
using static Narrative.Storage.Tests.Handlers.HandlerTestKit;

namespace Narrative.Storage.Tests.Handlers;

/// <summary>Publishes one alert per note.</summary>
public sealed class AlertingHandler
{
    public Task Handle(Noted noted, HandlerContext context, CancellationToken ct) =>
        context.PublishAsync("alert", new { text = noted.Text }, ct);
}

[Collection(PostgresCollection.Name)]
public sealed class OutboxTests(PostgresFixture pg) : IAsyncLifetime
{
    private static readonly OutboxOptions FastOutbox = new()
    {
        PollInterval = TimeSpan.FromMilliseconds(50), RetryBaseDelay = TimeSpan.FromMilliseconds(100), RetryMaxDelay = TimeSpan.FromMilliseconds(200),
        DeliveryTimeout = TimeSpan.FromSeconds(2),
    };

    private NpgsqlDataSource _db = null!;
    private EventStore _store = null!;

    public async Task InitializeAsync()
    {
        _db = await pg.CreateStoreDatabaseAsync();
        _store = new EventStore(_db, TestEvents.Registry);
    }

    public async Task DisposeAsync() => await _db.DisposeAsync();

    private Task Append(string text) => _store.AppendAsync($"notes-{text}", ExpectedVersion.Any, [TestEvents.Note(text)], default);

    private static string Text(OutboxMessage m) => JsonDocument.Parse(m.PayloadJson).RootElement.GetProperty("text").GetString()!;

    [Fact]
    public async Task an_alert_published_before_anyone_listens_reaches_a_late_subscriber_and_a_live_one_gets_new_alerts()
    {
        var feed = new OutboxFeed(_db, FastOutbox);
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        var listening = feed.RunAsync(stop.Token);
        await using (Run(_store, new HandlerRegistry().Add<AlertingHandler>("alerts")))
        {
            await Append("early");
            await WaitFor(async () => await Scalar(_db, "select count(*) from outbox") == 1);

            var backlog = await feed.ReadSinceAsync(0, default);
            var early = Assert.Single(backlog);
            Assert.Equal(("alert", "early", "alerts"), (early.Kind, Text(early), early.Handler));

            // A subscriber that connects now (afterId 0) first gets the backlog, then live alerts.
            var received = new ConcurrentQueue<OutboxMessage>();
            using var leave = CancellationTokenSource.CreateLinkedTokenSource(stop.Token);
            var subscriber = Task.Run(async () =>
            {
                try
                {
                    await foreach (var m in feed.SubscribeAsync(0, leave.Token, kind: "alert")) received.Enqueue(m);
                }
                catch (OperationCanceledException) { }
            });
            await WaitFor(() => Task.FromResult(received.Count == 1));
            await Append("live-1");
            await Append("live-2");
            await WaitFor(() => Task.FromResult(received.Count == 3));
            Assert.Equal(["early", "live-1", "live-2"], received.Select(Text));
            await leave.CancelAsync();
            await subscriber;

            // Reconnecting with Last-Event-ID = the first id yields exactly what came after it.
            var after = await feed.ReadSinceAsync(early.Id, default);
            Assert.Equal(["live-1", "live-2"], after.Select(Text));
        }
        await stop.CancelAsync();
        await listening;
    }

    [Fact]
    public async Task a_webhook_that_is_down_gets_the_alert_once_it_comes_up()
    {
        var port = FreePort();
        var url = $"http://127.0.0.1:{port}/hook/";
        using var http = new HttpClient();
        var dispatcher = new OutboxDispatcher(_db, WebhookSink.FromUrls([url], http), FastOutbox);
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var dispatching = dispatcher.RunAsync(stop.Token);
        await using (Run(_store, new HandlerRegistry().Add<AlertingHandler>("alerts")))
        {
            await Append("while-down");
            // Nothing listens on the port: attempts fail (connection refused) and are recorded.
            await WaitFor(async () => (await OutboxDeliveryQuery.ReadAsync(_db, default)).Any(d => d.Attempts >= 2));
            var down = Assert.Single(await OutboxDeliveryQuery.ReadAsync(_db, default));
            Assert.Null(down.DeliveredAt);
            Assert.NotNull(down.LastError);
            Assert.Equal($"webhook:{url}", down.Sink);

            var bodies = new ConcurrentQueue<(string Key, string Body)>();
            using var listener = new HttpListener();
            listener.Prefixes.Add(url);
            listener.Start();
            var serving = Task.Run(async () =>
            {
                while (listener.IsListening)
                {
                    HttpListenerContext ctx;
                    try { ctx = await listener.GetContextAsync(); }
                    catch (Exception ex) when (ex is HttpListenerException or ObjectDisposedException) { return; }
                    using var reader = new StreamReader(ctx.Request.InputStream);
                    bodies.Enqueue((ctx.Request.Headers["Idempotency-Key"] ?? "", await reader.ReadToEndAsync()));
                    ctx.Response.StatusCode = 204;
                    ctx.Response.Close();
                }
            });

            await WaitFor(() => Task.FromResult(!bodies.IsEmpty));
            await Append("while-up");
            await WaitFor(() => Task.FromResult(bodies.Count >= 2));
            await WaitFor(async () => await Scalar(_db, "select count(*) from outbox where dispatched_at is null") == 0);
            listener.Stop();
            await serving;

            var texts = bodies.Select(b => JsonDocument.Parse(b.Body).RootElement.GetProperty("payload").GetProperty("text").GetString()).ToList();
            Assert.Equal(["while-down", "while-up"], texts);
            var ids = bodies.Select(b => JsonDocument.Parse(b.Body).RootElement.GetProperty("id").GetInt64().ToString(System.Globalization.CultureInfo.InvariantCulture));
            Assert.Equal(bodies.Select(b => b.Key), ids);
            var delivered = (await OutboxDeliveryQuery.ReadAsync(_db, default)).Single(d => d.OutboxId == down.OutboxId);
            Assert.NotNull(delivered.DeliveredAt);
            Assert.True(delivered.Attempts >= 3);
        }
        await stop.CancelAsync();
        await dispatching;
    }

    private static int FreePort()
    {
        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        return ((IPEndPoint)probe.LocalEndpoint).Port;
    }
}
