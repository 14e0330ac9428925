using System.Security.Cryptography;
using System.Text;
using Narrative.Analysis;
using Narrative.Analysis.Ingestion;
using Narrative.Api.Hosting;
using Narrative.Domain.Corpus;

namespace Narrative.Api.Features;

/// <summary>Writes: documents, corrections, topics, sources and context periods. Each needs the ingest key.</summary>
public static class IngestEndpoints
{
    /// <summary>
    /// <c>position</c>: the log position of the stream's newest event. The consistency token for X-Consistent-After is in
    /// the X-Consistency-Token header only: it names the WAL position at answer time, and a replayed answer's body must
    /// be the original's, byte for byte.
    /// </summary>
    public sealed record WriteResponse(string Id, string Stream, long Version, int Events, bool Created, long Position);

    /// <summary><c>position</c>: the log position of the stream's newest event (the token is in X-Consistency-Token).</summary>
    public sealed record DocumentResponse(string DocumentId, string Stream, long Version, int Events, bool Created, long Position);

    public static void MapIngest(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api").RequireKey(ApiRole.Ingest).WithTags("Ingest");

        api.MapPost("/documents", async (HttpContext http, NarrativeServices s, CancellationToken ct) =>
        {
            var (doc, who, error) = await ReadAsync<DocumentInput>(http, ct);
            if (error is not null) return error;
            var r = await s.Ingestion.IngestDocumentAsync(doc!.Value, doc.Size, who!, ct);
            return await ToResultAsync(http, s, r, $"/api/documents/{r.Id}", (x, t) => new DocumentResponse(x.Id, x.Stream, x.Version, x.Events, x.Status == IngestStatus.Created, t.Position), ct);
        }).WithName("IngestDocument")
            .WithSummary("Ingests one corpus document with its items in one transaction: 201, or 200 and nothing written for the same document again")
            .Accepts<DocumentInput>("application/json").Produces<DocumentResponse>(201).Produces<DocumentResponse>(200)
            .ProducesProblems(400, 409, 422);

        api.MapPost("/documents/{id}/corrections", async (string id, HttpContext http, NarrativeServices s, CancellationToken ct) =>
        {
            var (input, who, error) = await ReadAsync<CorrectionInput>(http, ct);
            if (error is not null) return error;
            var r = await s.Ingestion.CorrectAsync(id, input!.Value, who!, ct);
            return await ToResultAsync(http, s, r, $"/api/documents/{id}", (x, t) => new DocumentResponse(x.Id, x.Stream, x.Version, x.Events, x.Status == IngestStatus.Created, t.Position), ct);
        }).WithName("CorrectDocument")
            .WithSummary("Re-rates or retracts items of a held document as new events; answers at an earlier knownAt do not change")
            .Accepts<CorrectionInput>("application/json").Produces<DocumentResponse>(201).Produces<DocumentResponse>(200)
            .ProducesProblems(400, 404, 422);

        api.MapPost("/topics", async (HttpContext http, NarrativeServices s, CancellationToken ct) =>
            await Register<TopicInput>(http, s, (x, who) => s.Ingestion.OpenTopicAsync(x, who, ct), "/api/topics", ct))
            .WithName("OpenTopic").WithSummary("Opens a topic with its study period and hypotheses")
            .Accepts<TopicInput>("application/json").Produces<WriteResponse>(201).Produces<WriteResponse>(200).ProducesProblems(400, 409, 422);

        api.MapPost("/sources", async (HttpContext http, NarrativeServices s, CancellationToken ct) =>
            await Register<SourceInput>(http, s, (x, who) => s.Ingestion.RegisterSourceAsync(x, who, ct), "/api/sources", ct))
            .WithName("RegisterSource").WithSummary("Registers a source with its reliability grade (A to F), or regrades a registered one: a new grade with a reason appends narrative.source_regraded.v1")
            .Accepts<SourceInput>("application/json").Produces<WriteResponse>(201).Produces<WriteResponse>(200).ProducesProblems(400, 409, 422);

        api.MapPost("/context-periods", async (HttpContext http, NarrativeServices s, CancellationToken ct) =>
            await Register<ContextPeriodInput>(http, s, (x, who) => s.Ingestion.RecordContextPeriodAsync(x, who, ct), "/api/context-periods", ct))
            .WithName("RecordContextPeriod").WithSummary("Records a context period (an aid debate, a milestone, an offensive) with its window and decision date")
            .Accepts<ContextPeriodInput>("application/json").Produces<WriteResponse>(201).Produces<WriteResponse>(200).ProducesProblems(400, 409, 422);
    }

    /// <summary>
    /// What the store holds of the ids a client names, as validation sees them (`narrative validate --api`). A read:
    /// open like the other reads and writes nothing; POST only because the id lists can be longer than a URL.
    /// </summary>
    public static void MapReferences(this IEndpointRouteBuilder app)
    {
        app.MapPost("/api/references", async (ReferenceQuery query, NarrativeServices s, CancellationToken ct) =>
        {
            if (query.Count > ReferenceQuery.MaxIds)
                return Problems.BadQuery("$", "too_many", $"Ask about at most {ReferenceQuery.MaxIds} ids at once.");
            return (IResult)TypedResults.Ok(await HeldReferences.LoadAsync(s.DataSource, query, ct));
        }).WithTags("Ingest").WithName("FindReferences")
            .WithSummary("Which of the given ids of documents, items, sources, topics and hypotheses the store holds (a read: open, writes nothing)")
            .Produces<HeldReferences>().ProducesProblems(400);
    }

    private static async Task<IResult> Register<T>(HttpContext http, NarrativeServices s, Func<T, IngestContext, Task<IngestResult>> write, string location,
        CancellationToken ct)
        where T : class
    {
        var (input, who, error) = await ReadAsync<T>(http, ct);
        if (error is not null) return error;
        var r = await write(input!.Value, who!);
        return await ToResultAsync(http, s, r, $"{location}/{r.Id}",
            (x, t) => new WriteResponse(x.Id, x.Stream, x.Version, x.Events, x.Status == IngestStatus.Created, t.Position), ct);
    }

    internal static async Task<IResult> ToResultAsync<T>(HttpContext http, NarrativeServices s, IngestResult r, string location,
        Func<IngestResult, Narrative.Storage.Replication.ConsistencyToken, T> body, CancellationToken ct)
    {
        if (r.Replayed) http.Response.Headers["Idempotent-Replayed"] = "true";
        // What was written (or was already there) is readable with this token, on a replica or the primary.
        var token = r.Status is IngestStatus.Created or IngestStatus.Unchanged ? await Consistency.StampAsync(http, s, r.Stream, ct) : default;
        return r.Status switch
        {
            IngestStatus.Created => TypedResults.Created(location, body(r, token)),
            IngestStatus.Unchanged => TypedResults.Ok(body(r, token)),
            IngestStatus.Invalid => Problems.Validation(r.Errors),
            IngestStatus.Conflict => Problems.Status(409, "Conflict", r.Message),
            IngestStatus.KeyReused => Problems.Status(422, "Idempotency-Key reused for a different request; nothing was written", r.Message),
            _ => Problems.NotFound(r.Message ?? "Not found"),
        };
    }

    internal sealed record Body<T>(T Value, int Size);

    /// <summary>
    /// Reads a JSON body of at most 1 MiB through <see cref="CorpusJson"/> (the same shape check as the CLI) and the
    /// request's Idempotency-Key, which is bound to the method, path and exact body bytes.
    /// </summary>
    internal static async Task<(Body<T>? Value, IngestContext? Who, IResult? Error)> ReadAsync<T>(HttpContext http, CancellationToken ct) where T : class
    {
        var key = http.Request.Headers["Idempotency-Key"].ToString();
        if (http.Request.Headers.ContainsKey("Idempotency-Key") && !IdempotencyKey.IsWellFormed(key))
            return (null, null, Problems.BadRequest("Idempotency-Key", "invalid_idempotency_key",
                $"The Idempotency-Key header must be 1 to {IdempotencyKey.MaxLength} printable ASCII characters (a UUID, say)."));
        using var buffer = new MemoryStream();
        var chunk = new byte[81920];
        int read;
        while ((read = await http.Request.Body.ReadAsync(chunk, ct)) > 0)
        {
            buffer.Write(chunk, 0, read);
            if (buffer.Length > DocumentValidator.MaxSizeBytes)
                return (null, null, Problems.BadRequest("$", ErrorCodes.TooLarge, $"The body is larger than {DocumentValidator.MaxSizeBytes} bytes (1 MiB)."));
        }
        if (buffer.Length == 0) return (null, null, Problems.BadRequest("$", ErrorCodes.Required, "The body is empty; send a JSON object."));
        var bytes = buffer.ToArray();
        var (value, errors) = CorpusJson.Parse<T>(bytes);
        if (value is null) return (null, null, Problems.Validation(errors));
        var idempotency = key.Length == 0 ? null : new IdempotencyKey(key, RequestHash(http.Request, bytes));
        return (new Body<T>(value, bytes.Length), Who(http, idempotency), null);
    }

    private static string RequestHash(HttpRequest request, byte[] body)
    {
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        sha.AppendData(Encoding.UTF8.GetBytes($"{request.Method} {request.Path}\n"));
        sha.AppendData(body);
        return Convert.ToHexStringLower(sha.GetHashAndReset());
    }

    private static IngestContext Who(HttpContext http, IdempotencyKey? key) =>
        new(ApiKeys.Actor(http), http.Items["CorrelationId"] as string ?? http.TraceIdentifier, key);
}
