using System.Net.Http.Json;
using System.Runtime.CompilerServices;
using System.Threading.Channels;

namespace Narrative.Analysis.Alerts;

/// <summary>
/// Something an analyst should look at, sent through Wolverine's outbox: the leading hypothesis of a topic changed
/// (the assessment watcher: From, To, Scores), or a new signal came shortly before a known aid decision (the coincidence
/// reaction: <see cref="Timing"/>), or an analyst's leader now differs from the consensus (From: the consensus leader,
/// To: the analyst's, <see cref="Analyst"/>). <see cref="Summary"/> says it in one sentence.
/// </summary>
public sealed record Alert(
    string Kind, string Topic, string? From, string? To, string? FromLabel, string? ToLabel, DateOnly AsOf,
    IReadOnlyList<string> Causes, IReadOnlyDictionary<string, double> Scores, string CausationId, string? Summary = null, SignalTiming? Timing = null,
    string? Analyst = null)
{
    /// <summary>The signpost a <c>signpost-matched</c> or <c>signpost-expired</c> alert is about (To is its hypothesis).</summary>
    public string? Signpost { get; init; }
}

/// <summary>A signal published <see cref="DaysBefore"/> days before the aid decision <see cref="Milestone"/>.</summary>
public sealed record SignalTiming(string ItemId, DateOnly PublishedAt, string Milestone, string MilestoneLabel, DateOnly MilestoneAt, int DaysBefore);

/// <summary>One webhook POST of one alert; a message of its own so that each sink is retried and dead-lettered alone.</summary>
public sealed record WebhookDelivery(string Url, Alert Alert);

/// <summary>The webhook URLs alerts are POSTed to (<c>Narrative:Webhooks:0..n</c>).</summary>
public sealed record WebhookSettings(IReadOnlyList<string> Urls);

/// <summary>An alert as SSE clients see it: numbered in this process, so a reconnecting client can ask for what it missed.</summary>
public sealed record FeedItem(long Id, string Kind, DateTimeOffset CreatedAt, Alert Payload);

/// <summary>
/// Delivers alerts that come out of Wolverine's outbox: into this process's <see cref="AlertFeed"/> (SSE clients) and,
/// as one <see cref="WebhookDelivery"/> message per configured URL, to webhooks.
/// </summary>
public static class AlertHandler
{
    public static IEnumerable<WebhookDelivery> Handle(Alert alert, AlertFeed feed, WebhookSettings webhooks)
    {
        feed.Publish(alert);
        return webhooks.Urls.Select(url => new WebhookDelivery(url, alert));
    }
}

/// <summary>POSTs one alert to one webhook. A failure throws, so Wolverine retries it with backoff, then dead-letters it.</summary>
public static class WebhookSender
{
    public static async Task Handle(WebhookDelivery delivery, HttpClient client, CancellationToken ct)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, delivery.Url) { Content = JsonContent.Create(delivery.Alert, options: NarrativeEvents.Json) };
        // The same alert always carries the same key, so a receiver can drop the repeats that retries may cause.
        request.Headers.Add("Idempotency-Key", $"{delivery.Alert.CausationId}:{delivery.Alert.Kind}");
        using var response = await client.SendAsync(request, ct);
        response.EnsureSuccessStatusCode();
    }
}

/// <summary>
/// The alerts this process has delivered, for SSE clients: the last <see cref="Capacity"/> are kept, numbered, so a
/// client that reconnects with Last-Event-ID gets what it missed while it was away.
/// </summary>
public sealed class AlertFeed(TimeProvider clock)
{
    public const int Capacity = 1000;

    private readonly object _gate = new();
    private readonly LinkedList<FeedItem> _items = new();
    private readonly List<Channel<FeedItem>> _subscribers = [];
    private long _next;

    public void Publish(Alert alert)
    {
        lock (_gate)
        {
            var item = new FeedItem(++_next, "alert", clock.GetUtcNow(), alert);
            _items.AddLast(item);
            if (_items.Count > Capacity) _items.RemoveFirst();
            foreach (var s in _subscribers) s.Writer.TryWrite(item);
        }
    }

    /// <summary>The newest id handed out (0 before the first alert).</summary>
    public long Head
    {
        get { lock (_gate) return _next; }
    }

    public IReadOnlyList<FeedItem> ReadSince(long after, int limit)
    {
        lock (_gate) return [.. _items.Where(i => i.Id > after).Take(limit)];
    }

    /// <summary>Everything after <paramref name="after"/>, then every new alert as it is published.</summary>
    public async IAsyncEnumerable<FeedItem> SubscribeAsync(long after, [EnumeratorCancellation] CancellationToken ct)
    {
        var channel = Channel.CreateUnbounded<FeedItem>();
        lock (_gate)
        {
            foreach (var i in _items.Where(i => i.Id > after)) channel.Writer.TryWrite(i);
            _subscribers.Add(channel);
        }
        try
        {
            await foreach (var item in channel.Reader.ReadAllAsync(ct)) yield return item;
        }
        finally
        {
            lock (_gate) _subscribers.Remove(channel);
        }
    }
}
