using System.Text.Json;
using Narrative.Analysis;
using Narrative.Analysis.Ingestion;
using Narrative.Api.Hosting;
using Narrative.Domain.Corpus;

namespace Narrative.Api.Features;

/// <summary>Writes: documents, corrections, topics, sources and context periods. Each needs the ingest key.</summary>
public static class IngestEndpoints
{
    public sealed record WriteResponse(string Id, string Stream, long Version, int Events, bool Created);

    public sealed record DocumentResponse(string DocumentId, string Stream, long Version, int Events, bool Created);

    public static void MapIngest(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api").RequireKey(ApiRole.Ingest).WithTags("Ingest");

        api.MapPost("/documents", async (HttpContext http, NarrativeServices s, CancellationToken ct) =>
        {
            var (doc, size, error) = await ReadAsync<DocumentInput>(http.Request, ct);
            if (error is not null) return error;
            var r = await s.Ingestion.IngestDocumentAsync(doc!, size, Who(http), ct);
            return ToResult(r, $"/api/documents/{r.Id}", x => new DocumentResponse(x.Id, x.Stream, x.Version, x.Events, x.Status == IngestStatus.Created));
        }).Accepts<DocumentInput>("application/json").Produces<DocumentResponse>(201).Produces<DocumentResponse>(200)
            .ProducesValidationProblem().ProducesProblem(409).ProducesProblem(401).ProducesProblem(403);

        api.MapPost("/documents/{id}/corrections", async (string id, HttpContext http, NarrativeServices s, CancellationToken ct) =>
        {
            var (input, _, error) = await ReadAsync<CorrectionInput>(http.Request, ct);
            if (error is not null) return error;
            var r = await s.Ingestion.CorrectAsync(id, input!, Who(http), ct);
            return ToResult(r, $"/api/documents/{id}", x => new DocumentResponse(x.Id, x.Stream, x.Version, x.Events, true));
        }).Accepts<CorrectionInput>("application/json").Produces<DocumentResponse>(201).ProducesValidationProblem().ProducesProblem(404);

        api.MapPost("/topics", async (HttpContext http, NarrativeServices s, CancellationToken ct) =>
            await Register<TopicInput>(http, (x, who) => s.Ingestion.OpenTopicAsync(x, who, ct), "/api/topics", ct))
            .Accepts<TopicInput>("application/json").Produces<WriteResponse>(201).ProducesValidationProblem().ProducesProblem(409);

        api.MapPost("/sources", async (HttpContext http, NarrativeServices s, CancellationToken ct) =>
            await Register<SourceInput>(http, (x, who) => s.Ingestion.RegisterSourceAsync(x, who, ct), "/api/sources", ct))
            .Accepts<SourceInput>("application/json").Produces<WriteResponse>(201).ProducesValidationProblem().ProducesProblem(409);

        api.MapPost("/context-periods", async (HttpContext http, NarrativeServices s, CancellationToken ct) =>
            await Register<ContextPeriodInput>(http, (x, who) => s.Ingestion.RecordContextPeriodAsync(x, who, ct), "/api/context-periods", ct))
            .Accepts<ContextPeriodInput>("application/json").Produces<WriteResponse>(201).ProducesValidationProblem().ProducesProblem(409);
    }

    private static async Task<IResult> Register<T>(HttpContext http, Func<T, IngestContext, Task<IngestResult>> write, string location, CancellationToken ct)
        where T : class
    {
        var (input, _, error) = await ReadAsync<T>(http.Request, ct);
        if (error is not null) return error;
        var r = await write(input!, Who(http));
        return ToResult(r, $"{location}/{r.Id}", x => new WriteResponse(x.Id, x.Stream, x.Version, x.Events, x.Status == IngestStatus.Created));
    }

    private static IResult ToResult<T>(IngestResult r, string location, Func<IngestResult, T> body) => r.Status switch
    {
        IngestStatus.Created => TypedResults.Created(location, body(r)),
        IngestStatus.Unchanged => TypedResults.Ok(body(r)),
        IngestStatus.Invalid => Problems.Validation(r.Errors),
        IngestStatus.Conflict => Problems.Status(409, "Conflict", r.Message),
        _ => Problems.NotFound(r.Message ?? "Not found"),
    };

    private static IngestContext Who(HttpContext http) =>
        new($"api:{http.Connection.RemoteIpAddress}", http.Items["CorrelationId"] as string ?? http.TraceIdentifier);

    /// <summary>Reads a JSON body of at most 1 MiB; a parse error names the field where it happened.</summary>
    private static async Task<(T? Value, int Size, IResult? Error)> ReadAsync<T>(HttpRequest request, CancellationToken ct) where T : class
    {
        using var buffer = new MemoryStream();
        var chunk = new byte[81920];
        int read;
        while ((read = await request.Body.ReadAsync(chunk, ct)) > 0)
        {
            buffer.Write(chunk, 0, read);
            if (buffer.Length > DocumentValidator.MaxSizeBytes)
                return (null, (int)buffer.Length, Problems.BadRequest("$", ErrorCodes.TooLarge,
                    $"The body is larger than {DocumentValidator.MaxSizeBytes} bytes (1 MiB)."));
        }
        if (buffer.Length == 0) return (null, 0, Problems.BadRequest("$", ErrorCodes.Required, "The body is empty; send a JSON object."));
        try
        {
            var value = JsonSerializer.Deserialize<T>(buffer.ToArray(), NarrativeEvents.Json);
            return value is null
                ? (null, 0, Problems.BadRequest("$", "invalid_json", "The body must be a JSON object."))
                : (value, (int)buffer.Length, null);
        }
        catch (JsonException ex)
        {
            var field = string.IsNullOrEmpty(ex.Path) || ex.Path == "$" ? "$" : ex.Path.TrimStart('$').TrimStart('.');
            return (null, 0, Problems.BadRequest(field, "invalid_json", $"Not valid here: {ex.Message.Split(" Path:")[0]}"));
        }
    }
}
