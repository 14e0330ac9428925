using System.Text.Json;
using Narrative.Analysis;
using Narrative.Api.Hosting;
using Narrative.Domain;
using Narrative.Storage;

namespace Narrative.Api.Features;

/// <summary>The raw log (Marten's <c>mt_events</c>), paged by position, for auditors and tools.</summary>
public static class EventEndpoints
{
    /// <param name="OccurredAt">World time, from the event's body (publishedAt, a period's start, the day a source or topic was registered); null for events without one.</param>
    public sealed record EventView(long Position, Guid EventId, string Stream, long Version, string Type, DateOnly? OccurredAt,
        DateTimeOffset RecordedAt, JsonElement Data, EventMetadata Metadata, string? Hash);

    /// <param name="Last">The cursor of this page: pass it as <c>after</c> for the next one.</param>
    /// <param name="Head">The position of the newest event in the log.</param>
    public sealed record EventPage(long Last, long Head, IReadOnlyList<EventView> Events);

    public static void MapEvents(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/events", async (long? after, int? limit, NarrativeServices s, CancellationToken ct) =>
        {
            if (after is < 0) return Problems.BadQuery("after", "out_of_range", "after is a position, 0 or more.");
            if (limit is < 1 or > 1000) return Problems.BadQuery("limit", "out_of_range", "limit is between 1 and 1000.");
            var events = await s.Log.ReadByPositionAsync(after ?? 0, limit ?? 100, ct);
            var head = await s.Log.HeadAsync(ct);
            var views = events.Select(e => new EventView(e.Position, e.EventId, e.StreamId, e.Version, e.Type,
                s.Log.Deserialize(e) is { } data ? NarrativeEventTypes.WorldTime(data, e.RecordedAt) : null, e.RecordedAt,
                JsonSerializer.Deserialize<JsonElement>(e.DataJson), e.Metadata, e.Hash)).ToList();
            return TypedResults.Ok(new EventPage(views.Count > 0 ? views[^1].Position : after ?? 0, head, views));
        }).WithTags("Events").WithName("ListEvents")
            .WithSummary("The log in position order after a position: each event's stream, version, stable type, world and system time, data, metadata and hash")
            .Produces<EventPage>().ProducesProblems(400);
    }
}
