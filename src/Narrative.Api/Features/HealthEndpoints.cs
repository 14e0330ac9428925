using Narrative.Api.Hosting;

namespace Narrative.Api.Features;

public static class HealthEndpoints
{
    public static void MapHealth(this IEndpointRouteBuilder app)
    {
        app.MapGet("/health/live", () => TypedResults.Ok(new { status = "live" })).ExcludeFromDescription();
        app.MapGet("/health/ready", (Readiness r) => r.IsReady
                ? Results.Ok(new { status = "ready" })
                : Results.Json(new { status = r.State }, statusCode: 503))
            .ExcludeFromDescription();
    }
}
