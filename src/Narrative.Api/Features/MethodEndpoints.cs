using Narrative.Analysis;
using Narrative.Analysis.Ingestion;
using Narrative.Api.Hosting;
using Narrative.Domain.Corpus;
using Narrative.Domain.Signposts;

namespace Narrative.Api.Features;

/// <summary>The ACH method's own writes and reads: revisions of a hypothesis set, and signposts (Heuer's step 8).</summary>
public static class MethodEndpoints
{
    public static void MapMethod(this IEndpointRouteBuilder app)
    {
        var write = app.MapGroup("/api").RequireKey(ApiRole.Ingest).WithTags("Method");

        write.MapPost("/topics/{topic}/hypotheses", async (string topic, HttpContext http, NarrativeServices s, CancellationToken ct) =>
        {
            var (input, who, error) = await IngestEndpoints.ReadAsync<HypothesisRevisionInput>(http, ct);
            if (error is not null) return error;
            var r = await s.Ingestion.ReviseHypothesesAsync(topic, input!.Value, who!, ct);
            return await IngestEndpoints.ToResultAsync(http, s, r, $"/api/topics/{topic}/assessment",
                (x, t) => new IngestEndpoints.WriteResponse(x.Id, x.Stream, x.Version, x.Events, x.Status == IngestStatus.Created, t.Position), ct);
        }).WithName("ReviseHypotheses")
            .WithSummary("Revise a topic's hypothesis set (add, retire, split): appends narrative.hypotheses_revised.v1; earlier knownAt answers are unchanged")
            .Accepts<HypothesisRevisionInput>("application/json")
            .Produces<IngestEndpoints.WriteResponse>(201).Produces<IngestEndpoints.WriteResponse>(200)
            .ProducesProblems(400, 404, 422);

        write.MapPost("/topics/{topic}/signposts", async (string topic, HttpContext http, NarrativeServices s, CancellationToken ct) =>
        {
            var (input, who, error) = await IngestEndpoints.ReadAsync<SignpostInput>(http, ct);
            if (error is not null) return error;
            var r = await s.Ingestion.SetSignpostAsync(topic, input!.Value, who!, ct);
            return await IngestEndpoints.ToResultAsync(http, s, r, $"/api/topics/{topic}/signposts",
                (x, t) => new IngestEndpoints.WriteResponse(x.Id, x.Stream, x.Version, x.Events, x.Status == IngestStatus.Created, t.Position), ct);
        }).WithName("SetSignpost")
            .WithSummary("Set a signpost (Heuer's step 8): what should, or should not, appear by a deadline if a hypothesis is right")
            .Accepts<SignpostInput>("application/json")
            .Produces<IngestEndpoints.WriteResponse>(201).Produces<IngestEndpoints.WriteResponse>(200)
            .ProducesProblems(400, 404, 409, 422);

        app.MapGet("/api/topics/{topic}/signposts", async (string topic, string? asOf, string? knownAt, ReadSide read, NarrativeServices s, CancellationToken ct) =>
        {
            var now = s.Clock.GetUtcNow();
            if (!TimeParams.TryInstant(asOf, now, out var a)) return TimeParams.Invalid("asOf");
            if (!TimeParams.TryInstant(knownAt, now, out var k)) return TimeParams.Invalid("knownAt");
            return await read.Queries.SignpostsAsync(topic, a, k, ct) is { } r
                ? TypedResults.Ok(r)
                : Problems.NotFound($"Topic '{topic}' is not known (at that system time).");
        }).WithTags("Method").RejectBadTokens().WithName("GetSignposts")
            .WithSummary("Each signpost of a topic with its status at (asOf, knownAt): open, matched or expired, and the items that matched")
            .Produces<SignpostsResult>().ProducesProblems(400, 404);
    }
}
