using Narrative.Api.Hosting;

namespace Narrative.Api.Features;

public static class HealthEndpoints
{
    /// <param name="Status">"live"; "ready", or while not ready what start-up is doing.</param>
    public sealed record HealthStatus(string Status);

    public static void MapHealth(this IEndpointRouteBuilder app)
    {
        var health = app.MapGroup("/health").WithTags("Health");
        health.MapGet("/live", () => TypedResults.Ok(new HealthStatus("live")))
            .WithName("GetLiveness").WithSummary("200 while the process serves requests");
        health.MapGet("/ready", (Readiness r) => r.IsReady
                ? TypedResults.Ok(new HealthStatus("ready"))
                : Results.Json(new HealthStatus(r.State), statusCode: StatusCodes.Status503ServiceUnavailable))
            .WithName("GetReadiness").WithSummary("200 once the database is up and the seeds are ingested; 503 with the current step until then")
            .Produces<HealthStatus>().Produces<HealthStatus>(StatusCodes.Status503ServiceUnavailable);
    }
}
