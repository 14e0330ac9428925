using System.Globalization;
using System.Text.Json.Nodes;
using Narrative.Domain;

namespace Narrative.Analysis.Capture;

/// <summary>
/// A corpus document to complete, made from a capture: what the page tells (title, url, authors, date, the capture)
/// is filled in; what needs an analyst's judgment is a <see cref="Placeholder"/> string, which is not a valid slug,
/// date or rating, so a draft cannot be ingested until every placeholder is replaced.
/// </summary>
public static class CaptureDraft
{
    public const string Placeholder = "TODO";

    public static JsonObject Build(CaptureView view, IReadOnlyList<(string Id, string Name)> sources)
    {
        ArgumentNullException.ThrowIfNull(view);
        var x = view.Extraction;
        var source = SourceOf(view.Page.Url, sources);
        var date = x.PublishedAt?.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
        var slugBase = $"{source ?? "source"}-{date ?? "date"}";
        var items = new JsonArray();
        for (var i = 0; i < x.Quotes.Count; i++) items.Add(Item(slugBase, i + 1, x.Quotes[i]));
        if (items.Count == 0) items.Add(Item(slugBase, 1, new CandidateQuote("", null)));
        return new JsonObject
        {
            ["id"] = $"{Placeholder}: {slugBase}-<short-name>",
            ["source"] = source ?? $"{Placeholder}: registered source id",
            ["publishedAt"] = x.PublishedAtConfidence == PageFacts.High && date is not null ? date
                : $"{Placeholder}: publication date ({x.PublishedAtConfidence} confidence{(date is null ? "" : ", extractor read " + date)})",
            ["title"] = x.Title ?? $"{Placeholder}: title",
            ["url"] = view.Page.Url,
            ["authors"] = new JsonArray([.. x.Byline.Select(b => (JsonNode)JsonValue.Create(b))]),
            ["cites"] = new JsonArray([.. x.CitedOutlets.Select(o => (JsonNode)JsonValue.Create($"{Placeholder}: document id of the {o} report cited"))]),
            ["captureId"] = view.Page.CaptureId,
            ["items"] = items,
        };
    }

    private static JsonObject Item(string slugBase, int n, CandidateQuote quote) => new()
    {
        ["id"] = $"{Placeholder}: {slugBase}-item-{n}",
        ["topic"] = $"{Placeholder}: topic id",
        ["type"] = $"{Placeholder}: signal | statement | action | assessment | rebuttal | report",
        ["claim"] = $"{Placeholder}: claim key shared with other reports of the same proposition",
        ["summary"] = $"{Placeholder}: one sentence on what the item reports",
        ["quote"] = quote.Text.Length > 0 ? quote.Text : $"{Placeholder}: a passage copied from the capture's main text",
        ["attributedTo"] = quote.Speaker ?? $"{Placeholder}: who says it",
        ["credibility"] = $"{Placeholder}: 1-6",
        ["ratings"] = new JsonObject { [Placeholder] = "hypothesis id -> CC | C | N | I | II | NA" },
        ["rebuts"] = new JsonArray(),
    };

    /// <summary>The registered source whose id or name matches the page's host (kyivpost.com → kyiv-post), else null.</summary>
    private static string? SourceOf(string url, IReadOnlyList<(string Id, string Name)> sources)
    {
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri)) return null;
        var host = uri.Host.ToLowerInvariant().Replace("www.", "", StringComparison.Ordinal).Replace(".", "", StringComparison.Ordinal);
        static string Squash(string s) => new([.. s.ToLowerInvariant().Where(char.IsLetterOrDigit)]);
        return sources.FirstOrDefault(s => Squash(s.Id).Length >= 3 && host.StartsWith(Squash(s.Id), StringComparison.Ordinal)
            || host.StartsWith(Squash(s.Name), StringComparison.Ordinal)).Id;
    }
}
