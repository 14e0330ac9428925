using System.Text.Json;
using Narrative.Analysis;
using Narrative.Analysis.Analysts;
using Narrative.Analysis.Capture;
using Narrative.Analysis.Ingestion;
using Narrative.Api.Hosting;
using Narrative.Domain.Analysts;
using Narrative.Domain.Assessment;
using Narrative.Domain.Corpus;

namespace Narrative.Api.Features;

/// <summary>
/// Several analysts on one topic: analysts and their keys (admin), their ratings (analyst key), the assessment through
/// an analyst's or the consensus ratings, and where the team disagrees (open reads).
/// </summary>
public static class AnalystEndpoints
{
    /// <param name="Key">The analyst's API key. Shown only in this answer: the server keeps its hash alone.</param>
    public sealed record AnalystKeyResponse(string Id, string Key, string? Name = null);

    public sealed record AnalystRevokedResponse(string Id, bool Revoked);

    public sealed record RevokeInput(string? Reason);

    public sealed record RatingsResponse(string Topic, string Analyst, string Stream, long Version, int Events);

    private const int MaxBody = 1 << 20;

    public static void MapAnalysts(this IEndpointRouteBuilder app)
    {
        var admin = app.MapGroup("/api/admin/analysts").RequireKey(ApiRole.Admin).WithTags("Analysts");

        admin.MapPost("", async (HttpContext http, NarrativeServices s, CancellationToken ct) =>
        {
            var (input, error) = await ReadAsync<AnalystInput>(http, required: true, ct);
            if (error is not null) return error;
            var r = await s.Analysts.RegisterAsync(input!, Who(http), ct);
            return r.Outcome switch
            {
                AnalystOutcome.Created => TypedResults.Created($"/api/analysts/{r.Id}", new AnalystKeyResponse(r.Id, r.Key!, input!.Name?.Trim())),
                AnalystOutcome.Conflict => Problems.Status(409, "Conflict", r.Message),
                _ => Problems.Validation(r.Errors ?? []),
            };
        }).WithName("CreateAnalyst").WithSummary("Create an analyst and issue their API key (shown only in this answer)")
            .Accepts<AnalystInput>("application/json").Produces<AnalystKeyResponse>(201)
            .ProducesValidationProblem().ProducesProblem(401).ProducesProblem(403).ProducesProblem(409);

        admin.MapPost("/{id}/revoke", async (string id, HttpContext http, NarrativeServices s, CancellationToken ct) =>
        {
            var (input, error) = await ReadAsync<RevokeInput>(http, required: false, ct);
            if (error is not null) return error;
            var r = await s.Analysts.RevokeAsync(id, input?.Reason, Who(http), ct);
            return r.Outcome == AnalystOutcome.NotFound ? Problems.NotFound(r.Message!) : TypedResults.Ok(new AnalystRevokedResponse(id, true));
        }).WithName("RevokeAnalystKey").WithSummary("Revoke an analyst's key: from now on it gets 401 (their ratings stay)")
            .Produces<AnalystRevokedResponse>().ProducesValidationProblem().ProducesProblem(401).ProducesProblem(403).ProducesProblem(404);

        admin.MapPost("/{id}/rotate", async (string id, HttpContext http, NarrativeServices s, CancellationToken ct) =>
        {
            var r = await s.Analysts.RotateAsync(id, Who(http), ct);
            return r.Outcome == AnalystOutcome.NotFound ? Problems.NotFound(r.Message!) : TypedResults.Ok(new AnalystKeyResponse(id, r.Key!));
        }).WithName("RotateAnalystKey").WithSummary("Issue a new key for an analyst; the old one stops working at once")
            .Produces<AnalystKeyResponse>().ProducesProblem(401).ProducesProblem(403).ProducesProblem(404);

        app.MapGet("/api/analysts", async (NarrativeServices s, CancellationToken ct) => TypedResults.Ok(await s.Analysts.ListAsync(ct)))
            .WithName("ListAnalysts").WithSummary("The analysts (id, name, whether their key is revoked); never their keys")
            .WithTags("Analysts").Produces<IReadOnlyList<AnalystInfo>>();

        app.MapGet("/api/analysts/me", async (HttpContext http, NarrativeServices s, CancellationToken ct) =>
                await s.Analysts.FindAsync(ApiKeys.Analyst(http)!, ct) is { } me ? Results.Ok(me) : Problems.Status(401, "Missing or unknown API key"))
            .RequireKey(ApiRole.Analyst).WithName("WhoAmI").WithSummary("The analyst whose key the request carries")
            .WithTags("Analysts").Produces<AnalystInfo>().ProducesProblems(401, 403);

        app.MapPost("/api/topics/{topic}/ratings", async (string topic, HttpContext http, NarrativeServices s, CancellationToken ct) =>
        {
            var (input, error) = await ReadAsync<RatingsInput>(http, required: true, ct);
            if (error is not null) return error;
            var analyst = ApiKeys.Analyst(http)!;
            var r = await s.Analysts.RecordRatingsAsync(analyst, topic, input!, Who(http), ct);
            return r.Status switch
            {
                IngestStatus.Created => TypedResults.Created($"/api/topics/{topic}/assessment?analyst={analyst}",
                    new RatingsResponse(topic, analyst, r.Stream, r.Version, r.Events)),
                IngestStatus.NotFound => Problems.NotFound(r.Message!),
                _ => Problems.Validation(r.Errors),
            };
        }).RequireKey(ApiRole.Analyst).WithName("RecordRatings")
            .WithSummary("Record the calling analyst's ratings of claims of a topic (a newer rating of a claim supersedes theirs)")
            .WithTags("Analysts").Accepts<RatingsInput>("application/json").Produces<RatingsResponse>(201)
            .ProducesValidationProblem().ProducesProblem(401).ProducesProblem(403).ProducesProblem(404);

        app.MapGet("/api/topics/{topic}/disagreement", async (string topic, string? asOf, string? knownAt, NarrativeServices s, CancellationToken ct) =>
        {
            var now = s.Clock.GetUtcNow();
            if (!TimeParams.TryInstant(asOf, now, out var a)) return TimeParams.Invalid("asOf");
            if (!TimeParams.TryInstant(knownAt, now, out var k)) return TimeParams.Invalid("knownAt");
            return await s.Queries.DisagreementAsync(topic, a, k, ct) is { } d
                ? TypedResults.Ok(d) : Problems.NotFound($"Topic '{topic}' is not known (at that system time).");
        }).WithName("GetDisagreement")
            .WithSummary("Where the analysts disagree: per claim the spread of their ratings and who rated what, the most disputed claims, each analyst's leader against the consensus")
            .WithTags("Analysis").Produces<DisagreementResult>().ProducesProblems(400, 404);
    }

    /// <summary>
    /// The assessment route's <c>analyst</c> and <c>view</c> parameters as a lens: null for the documents' ratings, or a
    /// problem for a bad value or an unknown analyst.
    /// </summary>
    public static async Task<(RatingsLens? Lens, IResult? Error)> LensAsync(string? analyst, string? view, NarrativeServices s, CancellationToken ct)
    {
        if (!string.IsNullOrEmpty(analyst))
        {
            if (view is { Length: > 0 } and not RatingsLens.AnalystKind)
                return (null, Problems.BadQuery("view", "invalid_view", "Give either analyst=<id> or view=consensus, not both."));
            if (!Slugs.IsValid(analyst) || await s.Analysts.FindAsync(analyst, ct) is null)
                return (null, Problems.NotFound($"No analyst '{analyst}'."));
            return (RatingsLens.Of(analyst), null);
        }
        return view switch
        {
            null or "" or RatingsLens.DocumentKind => (null, null),
            RatingsLens.ConsensusKind => (RatingsLens.Consensus, null),
            _ => (null, Problems.BadQuery("view", "invalid_view", "view is 'document' (the default), 'consensus', or 'analyst' with analyst=<id>.")),
        };
    }

    /// <summary>The assessment through a lens, decorated like the default one.</summary>
    public static async Task<IResult> AssessAsync(string topic, DateTimeOffset asOf, DateTimeOffset knownAt, RatingsLens lens, ScoringRules rules,
        NarrativeServices s, CancellationToken ct) =>
        await s.Queries.AssessAsync(topic, asOf, knownAt, lens, rules, ct) is { } a
            ? TypedResults.Ok(await CaptureQuotes.DecorateAsync(s.DataSource, a, ct))
            : Problems.NotFound($"Topic '{topic}' is not known (at that system time).");

    private static IngestContext Who(HttpContext http) => new(ApiKeys.Actor(http), http.Items["CorrelationId"] as string ?? http.TraceIdentifier);

    /// <summary>A JSON body of at most 1 MiB; a wrong shape is a 400 naming the field, and nothing is written.</summary>
    private static async Task<(T? Value, IResult? Error)> ReadAsync<T>(HttpContext http, bool required, CancellationToken ct) where T : class
    {
        using var buffer = new MemoryStream();
        var chunk = new byte[16384];
        int read;
        while ((read = await http.Request.Body.ReadAsync(chunk, ct)) > 0)
        {
            buffer.Write(chunk, 0, read);
            if (buffer.Length > MaxBody) return (null, Problems.BadRequest("$", ErrorCodes.TooLarge, "The body is larger than 1 MiB."));
        }
        if (buffer.Length == 0)
            return required ? (null, Problems.BadRequest("$", ErrorCodes.Required, "The body is empty; send a JSON object.")) : (null, null);
        var body = buffer.ToArray();
        if (CorpusJson.Unstorable(body) is { } unstorable) return (null, Problems.Validation([unstorable]));
        try
        {
            return JsonSerializer.Deserialize<T>(body, NarrativeEvents.Json) is { } value
                ? (value, null) : (null, Problems.BadRequest("$", ErrorCodes.Required, "Send a JSON object."));
        }
        catch (JsonException ex)
        {
            var field = string.IsNullOrEmpty(ex.Path) || ex.Path == "$" ? "$" : ex.Path.TrimStart('$', '.');
            return (null, Problems.BadRequest(field, ErrorCodes.WrongType, $"The body is not the expected JSON: {ex.Message}"));
        }
    }
}
