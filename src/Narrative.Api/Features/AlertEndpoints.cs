using System.Net.ServerSentEvents;
using System.Runtime.CompilerServices;
using System.Text.Json;
using Narrative.Analysis;
using Narrative.Analysis.Alerts;
using Narrative.Api.Hosting;

namespace Narrative.Api.Features;

/// <summary>
/// Alerts as Server-Sent Events, as this process delivers them out of Wolverine's outbox. A client that reconnects
/// sends Last-Event-ID (browsers do this by themselves) and receives what it missed, from the last
/// <see cref="AlertFeed.Capacity"/> alerts kept in memory.
/// </summary>
public static class AlertEndpoints
{
    public static void MapAlerts(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/alerts/stream", (HttpRequest request, long? after, NarrativeServices s, CancellationToken ct) =>
        {
            // Without Last-Event-ID or ?after=, a new client gets only alerts raised from now on.
            var from = long.TryParse(request.Headers["Last-Event-ID"], out var id) ? id : after ?? s.Alerts.Head;
            return TypedResults.ServerSentEvents(Alerts(s.Alerts, from, ct));
        }).WithTags("Alerts").WithName("StreamAlerts")
            .WithSummary("Alerts as server-sent events: a 'ready' event, then one 'alert' event each (id = the alert's id; Last-Event-ID resumes)")
            .Produces<string>(StatusCodes.Status200OK, "text/event-stream").ProducesProblems(400);

        app.MapGet("/api/alerts", (long? after, int? limit, NarrativeServices s) =>
            TypedResults.Ok(s.Alerts.ReadSince(after ?? 0, Math.Clamp(limit ?? 100, 1, 1000))))
            .WithTags("Alerts").WithName("ListAlerts").WithSummary("The alerts kept in memory after the given id, oldest first; limit 1 to 1000")
            .ProducesProblems(400);
    }

    private static async IAsyncEnumerable<SseItem<string>> Alerts(AlertFeed feed, long after, [EnumeratorCancellation] CancellationToken ct)
    {
        yield return new SseItem<string>("{}", "ready");
        await foreach (var item in feed.SubscribeAsync(after, ct))
            yield return new SseItem<string>(JsonSerializer.Serialize(item, NarrativeEvents.Json), "alert")
                { EventId = item.Id.ToString(System.Globalization.CultureInfo.InvariantCulture) };
    }
}
