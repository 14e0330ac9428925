using Narrative.Analysis;
using Narrative.Analysis.Capture;
using Narrative.Analysis.Ingestion;
using Narrative.Api.Hosting;
using Narrative.Domain.Capture;
using Narrative.Domain.Corpus;

namespace Narrative.Api.Features;

/// <summary>Captured pages: the raw page in (ingest key), its extraction, raw bytes, passages and a draft document out.</summary>
public static class CaptureEndpoints
{
    public sealed record CaptureResponse(string CaptureId, string Sha256, bool Created);

    public sealed record CitedOutlet(string Name, string? SourceId);

    public sealed record CaptureBody(
        string CaptureId, string Url, DateTimeOffset RetrievedAt, string Sha256, long Bytes, string ContentType,
        string? Title, IReadOnlyList<string> Byline, DateOnly? PublishedAt, string PublishedAtConfidence, string? PublishedAtEvidence,
        string MainText, int RemovedChars, IReadOnlyList<Narrative.Domain.RemovedBlock> Removed, IReadOnlyList<CitedOutlet> CitedOutlets,
        IReadOnlyList<Narrative.Domain.CandidateQuote> Quotes, string ExtractorVersion, int Extractions);

    /// <summary>A quote's passage in context: <c>before</c> + <c>match</c> + <c>after</c> is a slice of the main text.</summary>
    public sealed record Passage(string CaptureId, string? Around, bool Found, int? Start, int? End, string Before, string Match, string After);

    private const int ContextChars = 300;

    public static void MapCaptures(this IEndpointRouteBuilder app)
    {
        var write = app.MapGroup("/api/captures").RequireKey(ApiRole.Ingest).WithTags("Capture");
        var read = app.MapGroup("/api/captures").WithTags("Capture");

        write.MapPost("", async (string? url, string? retrievedAt, HttpContext http, NarrativeServices s, CancellationToken ct) =>
        {
            if (http.Request.ContentLength > CaptureRules.MaxBytes) return TooLarge();
            var body = await ReadBodyAsync(http.Request, ct);
            if (body is null) return TooLarge();
            var r = await s.Captures.CaptureAsync(new CaptureInput(body, http.Request.ContentType, url, retrievedAt), Who(http), ct);
            return ToResult(r);
        }).WithName("CapturePage")
            .WithSummary("Keeps a saved page byte for byte (text/html or text/plain, UTF-8, at most 2 MiB) and extracts its main text, date, cited outlets and quotes")
            .Accepts<string>("text/html", "text/plain").Produces<CaptureResponse>(201).Produces<CaptureResponse>(200)
            .ProducesProblems(400, 413, 415);

        write.MapPost("/{id}/extract", async (string id, HttpContext http, NarrativeServices s, CancellationToken ct) =>
            ToResult(await s.Captures.ReextractAsync(id, Who(http), ct)))
            .WithName("ReextractCapture").WithSummary("Runs the current extractor over a held capture again: a new extraction event if its version is new")
            .Produces<CaptureResponse>(201).Produces<CaptureResponse>(200).ProducesProblems(404);

        read.MapGet("/{id}", async (string id, NarrativeServices s, CancellationToken ct) =>
            await s.Captures.GetAsync(id, ct) is { } v ? TypedResults.Ok(Body(v, await s.Captures.SourcesAsync(ct))) : Unknown(id))
            .WithName("GetCapture").WithSummary("A capture's facts and its newest extraction: title, byline, date and how sure, main text, removed blocks, cited outlets, quotes")
            .Produces<CaptureBody>().ProducesProblems(404);

        read.MapGet("/{id}/raw", async (string id, NarrativeServices s, CancellationToken ct) =>
            await s.Captures.RawAsync(id, ct) is { } raw ? TypedResults.Bytes(raw.Bytes, $"{raw.ContentType}; charset=utf-8") : Unknown(id))
            .WithName("GetCaptureRaw").WithSummary("The page's bytes exactly as captured, with the media type it was sent with")
            .Produces<string>(200, "text/html", "text/plain").ProducesProblems(404);

        read.MapGet("/{id}/text", async (string id, string? around, NarrativeServices s, CancellationToken ct) =>
            await s.Captures.GetAsync(id, ct) is { } v ? TypedResults.Ok(PassageOf(id, v.Extraction.MainText, around)) : Unknown(id))
            .WithName("GetCaptureText").WithSummary("The main text, or with 'around' the passage holding that quote with some context")
            .Produces<Passage>().ProducesProblems(404);

        read.MapGet("/{id}/draft", async (string id, NarrativeServices s, CancellationToken ct) =>
            await s.Captures.GetAsync(id, ct) is { } v ? TypedResults.Ok(CaptureDraft.Build(v, await s.Captures.SourcesAsync(ct))) : Unknown(id))
            .WithName("GetCaptureDraft").WithSummary("A draft corpus document made from the capture (never ingested by itself): replace each TODO placeholder, then post it")
            .Produces<DocumentInput>().ProducesProblems(404);
    }

    public static CaptureBody Body(CaptureView v, IReadOnlyList<(string Id, string Name)> sources)
    {
        var (p, x) = (v.Page, v.Extraction);
        return new CaptureBody(p.CaptureId, p.Url, p.RetrievedAt, p.Sha256, p.Bytes, p.ContentType, x.Title, x.Byline, x.PublishedAt,
            x.PublishedAtConfidence, x.PublishedAtEvidence, x.MainText, x.RemovedChars, x.Removed,
            x.CitedOutlets.Select(o => new CitedOutlet(o, CitedOutlets.SourceFor(o, sources))).ToList(), x.Quotes, x.ExtractorVersion, v.Extractions);
    }

    /// <summary>The passage holding the quote with some context; without <c>around</c>, the whole main text.</summary>
    private static Passage PassageOf(string id, string text, string? around)
    {
        if (string.IsNullOrWhiteSpace(around)) return new Passage(id, around, true, 0, text.Length, "", text, "");
        if (QuoteText.Find(text, around) is not { } at) return new Passage(id, around, false, null, null, "", "", "");
        var from = Math.Max(0, at.Start - ContextChars);
        var to = Math.Min(text.Length, at.End + ContextChars);
        return new Passage(id, around, true, at.Start, at.End, text[from..at.Start], text[at.Start..at.End], text[at.End..to]);
    }

    /// <summary>The body, or null when it exceeds the limit (checked while reading, for senders without Content-Length).</summary>
    private static async Task<byte[]?> ReadBodyAsync(HttpRequest request, CancellationToken ct)
    {
        using var buffer = new MemoryStream();
        var chunk = new byte[81920];
        int read;
        while ((read = await request.Body.ReadAsync(chunk, ct)) > 0)
        {
            buffer.Write(chunk, 0, read);
            if (buffer.Length > CaptureRules.MaxBytes) return null;
        }
        return buffer.ToArray();
    }

    private static IResult ToResult(CaptureResult r) => r.Status switch
    {
        CaptureStatus.Created => TypedResults.Created($"/api/captures/{r.CaptureId}", new CaptureResponse(r.CaptureId, r.Sha256, true)),
        CaptureStatus.Unchanged => TypedResults.Ok(new CaptureResponse(r.CaptureId, r.Sha256, false)),
        CaptureStatus.TooLarge => TooLarge(),
        CaptureStatus.UnsupportedMediaType => Problems.Status(415, "Unsupported media type", r.Errors[0].Message),
        CaptureStatus.NotFound => Problems.NotFound(r.Errors[0].Message),
        _ => Problems.Validation(r.Errors),
    };

    private static IResult TooLarge() =>
        Problems.Status(413, "Payload too large", $"A page is at most {CaptureRules.MaxBytes} bytes (2 MiB); nothing was written.");

    private static IResult Unknown(string id) => Problems.NotFound($"Capture '{id}' is not held.");

    private static IngestContext Who(HttpContext http) =>
        new(ApiKeys.Actor(http), http.Items["CorrelationId"] as string ?? http.TraceIdentifier);
}
