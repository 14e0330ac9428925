using System.IO.Compression;
using System.Security.Cryptography;
using Narrative.Analysis.Ingestion;
using Narrative.Domain;
using Narrative.Storage;
using Npgsql;
using Serilog;

namespace Narrative.Analysis.Capture;

/// <summary>A capture as readers see it: the page's facts and its newest extraction.</summary>
public sealed record CaptureView(PageCaptured Page, PageExtracted Extraction, int Extractions, long Position);

/// <summary>
/// Captures raw pages (one transaction: the capture event, the first extraction event and the compressed bytes),
/// re-runs extraction under newer extractor versions, and answers reads. The capture id is derived from the bytes'
/// SHA-256, so the same page posted twice is found, not written again.
/// </summary>
public sealed class CaptureService(EventLog store)
{
    private const int Attempts = 5;
    private const string Events = EventStoreSetup.Schema + ".mt_events";

    public static string IdFor(string sha256) => sha256[..20];

    public async Task<CaptureResult> CaptureAsync(CaptureInput input, IngestContext who, CancellationToken ct)
    {
        var (page, error) = CaptureRules.Check(input);
        if (error is not null) return error;
        var sha = Convert.ToHexStringLower(SHA256.HashData(page!.Raw));
        var id = IdFor(sha);
        var stream = NarrativeEventTypes.CaptureStream(id);
        var captured = new PageCaptured(id, page.Url, page.RetrievedAt, sha, page.Raw.LongLength, page.MediaType);
        var extracted = PageExtractor.Extract(id, page.Text, page.Html, page.Url);
        for (var attempt = 1; ; attempt++)
        {
            await using var conn = await store.DataSource.OpenConnectionAsync(ct);
            await using var tx = await conn.BeginTransactionAsync(ct);
            if (await ExistsAsync(conn, tx, sha, ct)) return new CaptureResult(CaptureStatus.Unchanged, id, sha, []);
            try
            {
                var events = new List<EventData>
                {
                    new(IngestionService.DeterministicId($"{stream}|captured"), captured, Meta(who)),
                    new(ExtractionId(stream, extracted.ExtractorVersion, 0), extracted, Meta(who)),
                };
                var result = await store.AppendAsync(conn, tx, stream, ExpectedVersion.NoStream, events, ct);
                await SaveRawAsync(conn, tx, captured, page.Raw, result.FirstPosition ?? 0, ct);
                await tx.CommitAsync(ct);
                Log.Information("Captured {CaptureId} ({Bytes} bytes, {Kept} chars kept, {Removed} removed) from {Url}",
                    id, page.Raw.Length, extracted.MainText.Length, extracted.RemovedChars, page.Url);
                return new CaptureResult(CaptureStatus.Created, id, sha, []);
            }
            catch (Exception ex) when (attempt < Attempts && IsRace(ex))
            {
                await tx.RollbackAsync(ct);
            }
        }
    }

    /// <summary>
    /// Runs the current extractor over the stored bytes. A new extractor version appends a new extraction event (the
    /// old one stays); the version already newest writes nothing.
    /// </summary>
    public async Task<CaptureResult> ReextractAsync(string id, IngestContext who, CancellationToken ct)
    {
        if (await GetAsync(id, ct) is not { } view || await RawAsync(id, ct) is not { } raw)
            return CaptureResult.Fail(CaptureStatus.NotFound, "id", "unknown_capture", $"Capture '{id}' is not held.");
        if (view.Extraction.ExtractorVersion == PageExtractor.Version) return new CaptureResult(CaptureStatus.Unchanged, id, view.Page.Sha256, []);
        var text = new System.Text.UTF8Encoding(false).GetString(raw.Bytes).TrimStart('\uFEFF');
        var extracted = PageExtractor.Extract(id, text, view.Page.ContentType == "text/html", view.Page.Url);
        var stream = NarrativeEventTypes.CaptureStream(id);
        var written = await store.AppendAsync(stream, ExpectedVersion.Any,
            [new EventData(ExtractionId(stream, extracted.ExtractorVersion, view.Extractions), extracted, Meta(who))], ct);
        return new CaptureResult(written.Written > 0 ? CaptureStatus.Created : CaptureStatus.Unchanged, id, view.Page.Sha256, []);
    }

    public async Task<CaptureView?> GetAsync(string id, CancellationToken ct)
    {
        if (!Narrative.Domain.Corpus.Slugs.IsValid(id)) return null;
        var events = await store.ReadStreamAsync(NarrativeEventTypes.CaptureStream(id), ct);
        var page = events.Select(store.Deserialize).OfType<PageCaptured>().FirstOrDefault();
        var extractions = events.Where(e => store.Deserialize(e) is PageExtracted).ToList();
        if (page is null || extractions.Count == 0) return null;
        return new CaptureView(page, (PageExtracted)store.Deserialize(extractions[^1])!, extractions.Count, events[0].Position);
    }

    /// <summary>The raw bytes, exactly as received, and their media type.</summary>
    public async Task<(byte[] Bytes, string ContentType)?> RawAsync(string id, CancellationToken ct)
    {
        await using var cmd = store.DataSource.CreateCommand("select raw_gzip, content_type from catalog.captures where capture_id = $1");
        cmd.Parameters.Add(new() { Value = id });
        await using var r = await cmd.ExecuteReaderAsync(ct);
        if (!await r.ReadAsync(ct)) return null;
        var gz = r.GetFieldValue<byte[]>(0);
        await using var unzip = new GZipStream(new MemoryStream(gz), CompressionMode.Decompress);
        using var raw = new MemoryStream();
        await unzip.CopyToAsync(raw, ct);
        return (raw.ToArray(), r.GetString(1));
    }

    /// <summary>The newest main text of each capture, read inside the caller's transaction (ingest checks quotes against it).</summary>
    public static async Task<Dictionary<string, string>> MainTextsAsync(NpgsqlConnection conn, NpgsqlTransaction? tx, IReadOnlyCollection<string> ids,
        CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand($"""
            select distinct on (stream_id) data->>'captureId', data->>'mainText' from {Events}
            where stream_id = any($1) and type = 'narrative.page_extracted.v1' order by stream_id, version desc
            """, conn, tx);
        cmd.Parameters.Add(new() { Value = ids.Select(NarrativeEventTypes.CaptureStream).ToArray() });
        var texts = new Dictionary<string, string>(StringComparer.Ordinal);
        await using var r = await cmd.ExecuteReaderAsync(ct);
        while (await r.ReadAsync(ct)) texts[r.GetString(0)] = r.GetString(1);
        return texts;
    }

    /// <summary>Registered sources (id, name), for mapping cited outlets and guessing a draft's source.</summary>
    public async Task<IReadOnlyList<(string Id, string Name)>> SourcesAsync(CancellationToken ct)
    {
        await using var cmd = store.DataSource.CreateCommand(
            $"select data->>'sourceId', data->>'name' from {Events} where type = 'narrative.source_registered.v1' order by seq_id");
        var list = new List<(string, string)>();
        await using var r = await cmd.ExecuteReaderAsync(ct);
        while (await r.ReadAsync(ct)) list.Add((r.GetString(0), r.GetString(1)));
        return list;
    }

    private static async Task<bool> ExistsAsync(NpgsqlConnection conn, NpgsqlTransaction tx, string sha, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand("select 1 from catalog.captures where sha256 = $1", conn, tx) { Parameters = { new() { Value = sha } } };
        return await cmd.ExecuteScalarAsync(ct) is not null;
    }

    private static async Task SaveRawAsync(NpgsqlConnection conn, NpgsqlTransaction tx, PageCaptured page, byte[] raw, long position, CancellationToken ct)
    {
        using var gz = new MemoryStream();
        await using (var zip = new GZipStream(gz, CompressionLevel.SmallestSize, leaveOpen: true))
            await zip.WriteAsync(raw, ct);
        await using var cmd = new NpgsqlCommand("insert into catalog.captures values ($1, $2, $3, $4, $5, $6)", conn, tx)
        {
            Parameters =
            {
                new() { Value = page.CaptureId }, new() { Value = page.Sha256 }, new() { Value = page.ContentType },
                new() { Value = page.Bytes }, new() { Value = gz.ToArray() }, new() { Value = position },
            },
        };
        await cmd.ExecuteNonQueryAsync(ct);
    }

    /// <summary>
    /// Derived from the version and how many extractions came before, so two concurrent re-runs after the same
    /// extraction append once (the second is an idempotent no-op), while a later re-run under a version seen before
    /// (after a newer one) still appends.
    /// </summary>
    private static Guid ExtractionId(string stream, string version, int before) => IngestionService.DeterministicId($"{stream}|{version}|{before}");

    private static EventMetadata Meta(IngestContext who) => new() { Actor = who.Actor, CorrelationId = who.CorrelationId };

    private static bool IsRace(Exception ex) =>
        ex is ConcurrencyException or DuplicateEventException || ex is PostgresException { SqlState: PostgresErrorCodes.UniqueViolation };
}
