using Narrative.Analysis;
using Narrative.Analysis.Queries;
using Narrative.Api.Hosting;
using Serilog;

namespace Narrative.Api.Features;

/// <summary>Operator routes: projection status and rebuilds. Need the admin key.</summary>
public static class AdminEndpoints
{
    /// <summary>The query service's topic cache; <c>topics</c> lists what it holds and at which read-model position.</summary>
    public sealed record QueryCacheView(bool Enabled, int Capacity, long Hits, long Misses, IReadOnlyList<TopicWorldCacheEntry> Topics);

    public sealed record ReplayResponse(string Outcome, Guid Id);

    /// <summary>A rebuild started: follow it through GET /api/admin/projections (state "rebuilding", rebuildProgress).</summary>
    public sealed record RebuildResponse(string Projection, string Status);

    public static void MapAdmin(this IEndpointRouteBuilder app)
    {
        var admin = app.MapGroup("/api/admin").RequireKey(ApiRole.Admin).WithTags("Admin");

        // Marten's async shards side by side: the analysis projection, the relay to the handlers, the high-water mark
        // (with the gaps the daemon skipped), each with position, lag and state (running, catching-up, rebuilding); the
        // relay's row also says how many handler messages wait in Wolverine's inbox (queued).
        admin.MapGet("/projections", async (NarrativeServices s, CancellationToken ct) => TypedResults.Ok(await s.StatusWithInboxAsync(ct)))
            .WithName("ListProjections").WithSummary("Each projection and the relay to the handlers: state, position, lag, owner, skipped gaps, handler messages queued");

        // The query service's topic cache: what it holds (and at which read-model position), hits and misses so far.
        admin.MapGet("/query-cache", (NarrativeServices s) => TypedResults.Ok(s.Queries.Cache is { } c
                ? new QueryCacheView(true, c.Capacity, c.Hits, c.Misses, c.Entries)
                : new QueryCacheView(false, 0, 0, 0, [])))
            .WithName("GetQueryCache").WithSummary("What the topic cache holds, with its hits and misses");

        // Wolverine's dead letters: handler messages that failed every attempt.
        admin.MapGet("/dead-letters", async (int? limit, NarrativeServices s, CancellationToken ct) =>
            TypedResults.Ok(await s.DeadLetters.ListAsync(ct, Math.Clamp(limit ?? 100, 1, 1000))))
            .WithName("ListDeadLetters").WithSummary("Handler messages that failed every attempt (Wolverine's dead letters), newest first; limit 1 to 1000");

        admin.MapPost("/dead-letters/{id}/replay", async (string id, NarrativeServices s, CancellationToken ct) =>
        {
            if (!Guid.TryParse(id, out var guid)) return Problems.NotFound($"No dead letter {id}: dead-letter ids are GUIDs.");
            return await s.DeadLetters.ReplayAsync(guid, ct) switch
            {
                ReplayOutcome.Replayed => TypedResults.Ok(new ReplayResponse("Replayed", guid)),
                _ => Problems.NotFound($"No dead letter {id}."),
            };
        }).WithName("ReplayDeadLetter").WithSummary("Puts a dead letter back into the inbox, so its handler runs again")
            .Produces<ReplayResponse>().ProducesProblems(404);

        admin.MapPost("/projections/{name}/rebuild", (string name, NarrativeServices s, IHostApplicationLifetime life) =>
        {
            if (s.Rebuildable(name) is not { } projection) return Problems.NotFound($"No projection named '{name}'.");
            // Long work: started here, followed through GET /api/admin/projections (state "rebuilding", rebuildProgress).
            _ = Task.Run(async () =>
            {
                try { await s.RebuildAsync(projection, null, life.ApplicationStopping); }
                catch (Exception ex) when (ex is not OperationCanceledException) { Log.Error(ex, "Rebuild of {Projection} failed", name); }
            });
            return TypedResults.Accepted("/api/admin/projections", new RebuildResponse(name, "rebuilding"));
        }).WithName("RebuildProjection").WithSummary("Starts a rebuild of a projection from position 0 into fresh tables, swapped in when done")
            .Produces<RebuildResponse>(StatusCodes.Status202Accepted).ProducesProblems(404);
    }
}
