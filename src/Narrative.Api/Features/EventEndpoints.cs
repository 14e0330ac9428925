using System.Text.Json;
using Narrative.Analysis;
using Narrative.Api.Hosting;

namespace Narrative.Api.Features;

/// <summary>The raw log, paged by position, for auditors and tools.</summary>
public static class EventEndpoints
{
    public sealed record EventView(long Position, Guid EventId, string Stream, int Version, string Type, DateTimeOffset OccurredAt,
        DateTimeOffset RecordedAt, JsonElement Data, JsonElement Metadata, string Hash);

    public sealed record EventPage(long Last, IReadOnlyList<EventView> Events);

    public static void MapEvents(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/events", async (long? after, int? limit, NarrativeServices s, CancellationToken ct) =>
        {
            if (after is < 0) return Problems.BadRequest("after", "out_of_range", "after is a position, 0 or more.");
            if (limit is < 1 or > 1000) return Problems.BadRequest("limit", "out_of_range", "limit is between 1 and 1000.");
            var events = await s.Store.ReadByPositionAsync(after ?? 0, limit ?? 100, ct);
            var views = events.Select(e => new EventView(e.Position, e.EventId, e.StreamId, e.Version, e.Type, e.OccurredAt, e.RecordedAt,
                JsonSerializer.Deserialize<JsonElement>(e.DataJson), JsonSerializer.Deserialize<JsonElement>(e.MetadataJson),
                Convert.ToHexStringLower(e.Hash))).ToList();
            return TypedResults.Ok(new EventPage(views.Count > 0 ? views[^1].Position : after ?? 0, views));
        }).WithTags("Events");
    }
}
