using System.Net.ServerSentEvents;
using System.Runtime.CompilerServices;
using Narrative.Analysis;

namespace Narrative.Api.Features;

/// <summary>
/// Alerts as Server-Sent Events. A client that reconnects sends Last-Event-ID (browsers do this by themselves)
/// and receives everything it missed, because the stream is read from the outbox table, not from memory.
/// </summary>
public static class AlertEndpoints
{
    public static void MapAlerts(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/alerts/stream", (HttpRequest request, long? after, NarrativeServices s, CancellationToken ct) =>
        {
            var from = long.TryParse(request.Headers["Last-Event-ID"], out var id) ? id : after ?? LatestOnly;
            return TypedResults.ServerSentEvents(Alerts(s, from, ct));
        }).WithTags("Alerts");

        app.MapGet("/api/alerts", async (long? after, int? limit, NarrativeServices s, CancellationToken ct) =>
            TypedResults.Ok((await s.Outbox.ReadSinceAsync(after ?? 0, ct, "alert", Math.Clamp(limit ?? 100, 1, 1000)))
                .Select(m => new { id = m.Id, kind = m.Kind, createdAt = m.CreatedAt, payload = System.Text.Json.JsonDocument.Parse(m.PayloadJson).RootElement })))
            .WithTags("Alerts");
    }

    // Without Last-Event-ID or ?after=, a new client gets only alerts raised from now on.
    private const long LatestOnly = -1;

    private static async IAsyncEnumerable<SseItem<string>> Alerts(NarrativeServices s, long after, [EnumeratorCancellation] CancellationToken ct)
    {
        if (after == LatestOnly)
        {
            after = 0;
            while (true)
            {
                var page = await s.Outbox.ReadSinceAsync(after, ct, "alert", 1000);
                if (page.Count == 0) break;
                after = page[^1].Id;
            }
        }
        yield return new SseItem<string>("{}", "ready");
        await foreach (var m in s.Outbox.SubscribeAsync(after, ct, "alert"))
            yield return new SseItem<string>(m.ToJson(), "alert") { EventId = m.Id.ToString(System.Globalization.CultureInfo.InvariantCulture) };
    }
}
