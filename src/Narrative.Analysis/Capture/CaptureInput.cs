using System.Net.Http.Headers;
using System.Text;
using Narrative.Domain.Corpus;

namespace Narrative.Analysis.Capture;

/// <summary>A raw page as received, before any checks.</summary>
public sealed record CaptureInput(byte[] Body, string? ContentType, string? Url, string? RetrievedAt);

public enum CaptureStatus { Created, Unchanged, Invalid, TooLarge, UnsupportedMediaType, NotFound }

public sealed record CaptureResult(CaptureStatus Status, string CaptureId, string Sha256, IReadOnlyList<FieldError> Errors)
{
    public static CaptureResult Fail(CaptureStatus status, string field, string code, string message) =>
        new(status, "", "", [new FieldError(field, code, message)]);
}

/// <summary>A page that passed the checks: its text (decoded, without a byte-order mark) and what it claims to be.</summary>
public sealed record CheckedPage(byte[] Raw, string Text, bool Html, string MediaType, string Url, DateTimeOffset RetrievedAt);

/// <summary>What a capture must be: a UTF-8 text or HTML page of at most <see cref="MaxBytes"/>, with where and when it was fetched.</summary>
public static class CaptureRules
{
    /// <summary>2 MiB. News pages saved as HTML are 50 KB to 1 MB; a bigger upload is most likely not a page.</summary>
    public const int MaxBytes = 2 * 1024 * 1024;

    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    public static (CheckedPage? Page, CaptureResult? Error) Check(CaptureInput input)
    {
        ArgumentNullException.ThrowIfNull(input);
        if (MediaType(input.ContentType) is not { } media)
            return Fail(CaptureStatus.UnsupportedMediaType, "Content-Type", "unsupported_media_type",
                "Send the page as text/html or text/plain, in UTF-8 (charset=utf-8 or no charset).");
        if (input.Body.Length > MaxBytes)
            return Fail(CaptureStatus.TooLarge, "$", ErrorCodes.TooLarge, $"The page is larger than {MaxBytes} bytes (2 MiB).");
        if (input.Body.Length == 0) return Fail(CaptureStatus.Invalid, "$", ErrorCodes.Required, "The body is empty; send the page.");
        if (Array.IndexOf(input.Body, (byte)0) >= 0)
            return Fail(CaptureStatus.Invalid, "$", "binary", "The body holds NUL bytes: it is a binary file, not a text or HTML page.");
        string text;
        try
        {
            text = StrictUtf8.GetString(input.Body);
        }
        catch (DecoderFallbackException ex)
        {
            return Fail(CaptureStatus.Invalid, "$", "not_utf8", $"The body is not valid UTF-8 (byte {ex.Index} of a bad sequence); convert the page to UTF-8.");
        }
        if (!(Uri.TryCreate(input.Url, UriKind.Absolute, out var uri) && (uri.Scheme == Uri.UriSchemeHttp || uri.Scheme == Uri.UriSchemeHttps)))
            return Fail(CaptureStatus.Invalid, "url", ErrorCodes.InvalidUrl, "url is required: the absolute http(s) address the page was fetched from.");
        if (!DateTimeOffset.TryParse(input.RetrievedAt, System.Globalization.CultureInfo.InvariantCulture,
                System.Globalization.DateTimeStyles.AssumeUniversal, out var retrievedAt) || input.RetrievedAt!.Length < 10)
            return Fail(CaptureStatus.Invalid, "retrievedAt", ErrorCodes.InvalidDate, "retrievedAt is required: when the page was fetched, ISO 8601 (2024-01-25T10:00:00Z).");
        return (new CheckedPage(input.Body, text.TrimStart('\uFEFF'), media == "text/html", media, input.Url!, retrievedAt.ToUniversalTime()), null);
    }

    private static (CheckedPage?, CaptureResult?) Fail(CaptureStatus status, string field, string code, string message) =>
        (null, CaptureResult.Fail(status, field, code, message));

    private static string? MediaType(string? contentType)
    {
        if (!MediaTypeHeaderValue.TryParse(contentType, out var value)) return null;
        var media = value.MediaType?.ToLowerInvariant();
        var charset = value.CharSet?.Trim('"').ToLowerInvariant();
        return media is "text/html" or "text/plain" && charset is null or "utf-8" or "utf8" ? media : null;
    }
}
