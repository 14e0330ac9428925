using Narrative.Analysis;
using Narrative.Api.Hosting;
using Narrative.EventStore.Subscriptions;
using Serilog;

namespace Narrative.Api.Features;

/// <summary>Operator routes: projection status and rebuilds. Need the admin key.</summary>
public static class AdminEndpoints
{
    public static void MapAdmin(this IEndpointRouteBuilder app)
    {
        var admin = app.MapGroup("/api/admin").RequireKey(ApiRole.Admin).WithTags("Admin");

        admin.MapGet("/projections", async (NarrativeServices s, CancellationToken ct) =>
            TypedResults.Ok(await SubscriptionStatusQuery.ReadAsync(s.DataSource, ct)));

        admin.MapPost("/projections/{name}/rebuild", (string name, NarrativeServices s, IHostApplicationLifetime life) =>
        {
            if (s.Projection(name) is not { } projection) return Problems.NotFound($"No projection named '{name}'.");
            // Long work: started here, followed through GET /api/admin/projections (state "rebuilding", rebuildProgress).
            _ = Task.Run(async () =>
            {
                try { await ProjectionRebuilder.RebuildAsync(s.Store, projection, null, life.ApplicationStopping); }
                catch (Exception ex) when (ex is not OperationCanceledException) { Log.Error(ex, "Rebuild of {Projection} failed", name); }
            });
            return TypedResults.Accepted("/api/admin/projections", new { projection = name, status = "rebuilding" });
        });
    }
}
