using Narrative.Analysis;
using Narrative.Api.Hosting;
using Narrative.Storage.Handlers;
using Narrative.Storage.Subscriptions;
using Serilog;

namespace Narrative.Api.Features;

/// <summary>Operator routes: projection status and rebuilds. Need the admin key.</summary>
public static class AdminEndpoints
{
    public static void MapAdmin(this IEndpointRouteBuilder app)
    {
        var admin = app.MapGroup("/api/admin").RequireKey(ApiRole.Admin).WithTags("Admin");

        // Projections and handlers side by side: position, lag, owner, state (running, catching-up, failing, unowned, rebuilding).
        admin.MapGet("/projections", async (NarrativeServices s, CancellationToken ct) =>
            TypedResults.Ok(await SubscriptionStatusQuery.ReadAsync(s.DataSource, ct)));

        // The query service's topic cache: what it holds (and at which read-model position), hits and misses so far.
        admin.MapGet("/query-cache", (NarrativeServices s) => s.Queries.Cache is { } c
            ? Results.Ok(new { enabled = true, capacity = c.Capacity, hits = c.Hits, misses = c.Misses, topics = c.Entries })
            : Results.Ok(new { enabled = false, capacity = 0, hits = 0L, misses = 0L, topics = Array.Empty<object>() }));

        admin.MapGet("/handlers", async (NarrativeServices s, CancellationToken ct) =>
            TypedResults.Ok(await HandlerStatusQuery.ReadAsync(s.DataSource, ct, s.Handlers)));

        admin.MapGet("/dead-letters", async (string? handler, bool? includeReplayed, long? before, int? limit, NarrativeServices s, CancellationToken ct) =>
            TypedResults.Ok(await s.DeadLetters.ListAsync(ct, handler, includeReplayed ?? true, before ?? 0, Math.Clamp(limit ?? 100, 1, 1000))));

        admin.MapPost("/dead-letters/{id:long}/replay", async (long id, NarrativeServices s, CancellationToken ct) =>
        {
            var r = await s.DeadLetters.ReplayAsync(id, ct);
            return r.Outcome switch
            {
                ReplayOutcome.Replayed or ReplayOutcome.AlreadyHandled => Results.Ok(new { outcome = r.Outcome.ToString(), deadLetter = r.DeadLetter }),
                ReplayOutcome.NotFound => Problems.NotFound($"No dead letter {id}."),
                _ => Problems.Status(409, $"Replay {r.Outcome}", r.Error),
            };
        });

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
