using Narrative.Analysis;
using Narrative.Api.Hosting;
using Serilog;

namespace Narrative.Api.Features;

/// <summary>Operator routes: projection status and rebuilds. Need the admin key.</summary>
public static class AdminEndpoints
{
    public static void MapAdmin(this IEndpointRouteBuilder app)
    {
        var admin = app.MapGroup("/api/admin").RequireKey(ApiRole.Admin).WithTags("Admin");

        // Marten's async shards side by side: the analysis projection, the relay to the handlers, the high-water mark
        // (with the gaps the daemon skipped), each with position, lag and state (running, catching-up, rebuilding).
        admin.MapGet("/projections", async (NarrativeServices s, CancellationToken ct) => TypedResults.Ok(await s.StatusAsync(ct)));

        // The query service's topic cache: what it holds (and at which read-model position), hits and misses so far.
        admin.MapGet("/query-cache", (NarrativeServices s) => s.Queries.Cache is { } c
            ? Results.Ok(new { enabled = true, capacity = c.Capacity, hits = c.Hits, misses = c.Misses, topics = c.Entries })
            : Results.Ok(new { enabled = false, capacity = 0, hits = 0L, misses = 0L, topics = Array.Empty<object>() }));

        // Wolverine's dead letters: handler messages that failed every attempt.
        admin.MapGet("/dead-letters", async (int? limit, NarrativeServices s, CancellationToken ct) =>
            TypedResults.Ok(await s.DeadLetters.ListAsync(ct, Math.Clamp(limit ?? 100, 1, 1000))));

        admin.MapPost("/dead-letters/{id}/replay", async (string id, NarrativeServices s, CancellationToken ct) =>
        {
            if (!Guid.TryParse(id, out var guid)) return Problems.NotFound($"No dead letter {id}: dead-letter ids are GUIDs.");
            return await s.DeadLetters.ReplayAsync(guid, ct) switch
            {
                ReplayOutcome.Replayed => Results.Ok(new { outcome = "Replayed", id = guid }),
                _ => Problems.NotFound($"No dead letter {id}."),
            };
        });

        admin.MapPost("/projections/{name}/rebuild", (string name, NarrativeServices s, IHostApplicationLifetime life) =>
        {
            if (s.Rebuildable(name) is not { } projection) return Problems.NotFound($"No projection named '{name}'.");
            // Long work: started here, followed through GET /api/admin/projections (state "rebuilding", rebuildProgress).
            _ = Task.Run(async () =>
            {
                try { await s.RebuildAsync(projection, null, life.ApplicationStopping); }
                catch (Exception ex) when (ex is not OperationCanceledException) { Log.Error(ex, "Rebuild of {Projection} failed", name); }
            });
            return TypedResults.Accepted("/api/admin/projections", new { projection = name, status = "rebuilding" });
        });
    }
}
