using Narrative.Domain.Assessment;
using Narrative.Domain.Capture;
using Narrative.Domain.Corpus;
using Narrative.Storage;
using Npgsql;

namespace Narrative.Analysis.Capture;

/// <summary>
/// Quotes against captures: on ingest, every quote of a document that names a capture must be in the capture's newest
/// main text; on read, each evidence row says whether its quote still is (a newer extraction could drop it).
/// </summary>
public static class CaptureQuotes
{
    private const string Events = EventStoreSetup.Schema + ".mt_events";

    /// <summary>Errors naming <c>captureId</c> or <c>items[i].quote</c>; none when the document names no capture.</summary>
    public static async Task<IReadOnlyList<FieldError>> CheckAsync(NpgsqlConnection conn, NpgsqlTransaction tx, DocumentInput input, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(input);
        if (!Slugs.IsValid(input.CaptureId)) return [];
        var texts = await CaptureService.MainTextsAsync(conn, tx, [input.CaptureId!], ct);
        if (!texts.TryGetValue(input.CaptureId!, out var text))
            return [new FieldError("captureId", ErrorCodes.UnknownCapture, $"Capture '{input.CaptureId}' is not held; POST the page to /api/captures first.")];
        var items = input.Items ?? [];
        var errors = new List<FieldError>();
        for (var i = 0; i < items.Count; i++)
        {
            if (items[i]?.Quote is { Length: > 0 } quote && !QuoteText.Appears(text, quote))
                errors.Add(new FieldError($"items[{i}].quote", ErrorCodes.QuoteNotInCapture,
                    $"The quote is not in capture '{input.CaptureId}''s main text (whitespace, quote marks and dashes are normalised; '...' marks an elision)."));
        }
        return errors;
    }

    /// <summary>Sets quoteVerified, captureId and quote on the rows whose document has a capture; the others keep null.</summary>
    public static async Task<AssessmentResult> DecorateAsync(NpgsqlDataSource db, AssessmentResult result, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(result);
        await using var conn = await db.OpenConnectionAsync(ct);
        var captures = await CapturesOfAsync(conn, result.Evidence.Select(e => e.DocumentId).Distinct().ToArray(), ct);
        if (captures.Count == 0) return result;
        var itemIds = result.Evidence.Where(e => captures.ContainsKey(e.DocumentId)).Select(e => e.ItemId).ToArray();
        var quotes = await QuotesAsync(conn, itemIds, ct);
        var texts = await CaptureService.MainTextsAsync(conn, null, captures.Values.Distinct().ToList(), ct);
        var evidence = result.Evidence.Select(e =>
        {
            if (!captures.TryGetValue(e.DocumentId, out var capture)) return e;
            var quote = quotes.GetValueOrDefault(e.ItemId);
            bool? verified = quote is { Length: > 0 } ? texts.TryGetValue(capture, out var text) && QuoteText.Appears(text, quote) : null;
            return e with { QuoteVerified = verified, CaptureId = capture, Quote = quote };
        }).ToList();
        return result with { Evidence = evidence };
    }

    private static async Task<Dictionary<string, string>> CapturesOfAsync(NpgsqlConnection conn, string[] documents, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand(
            "select document_id, capture_id from catalog.documents where capture_id is not null and document_id = any($1)", conn)
            { Parameters = { new() { Value = documents } } };
        var map = new Dictionary<string, string>(StringComparer.Ordinal);
        await using var r = await cmd.ExecuteReaderAsync(ct);
        while (await r.ReadAsync(ct)) map[r.GetString(0)] = r.GetString(1);
        return map;
    }

    private static async Task<Dictionary<string, string?>> QuotesAsync(NpgsqlConnection conn, string[] itemIds, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand(
            $"select data->>'itemId', data->>'quote' from {Events} where type = 'narrative.item_recorded.v1' and data->>'itemId' = any($1)", conn)
            { Parameters = { new() { Value = itemIds } } };
        var map = new Dictionary<string, string?>(StringComparer.Ordinal);
        await using var r = await cmd.ExecuteReaderAsync(ct);
        while (await r.ReadAsync(ct)) map[r.GetString(0)] = r.IsDBNull(1) ? null : r.GetString(1);
        return map;
    }
}
