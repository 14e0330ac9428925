using AngleSharp.Dom;
using AngleSharp.Html.Dom;
using AngleSharp.Html.Parser;
using Narrative.Domain;

namespace Narrative.Analysis.Capture;

/// <summary>
/// From a raw page to what an analyst needs: main text without boilerplate, title, byline, publication date (with how
/// sure), cited outlets and candidate quotes. HTML goes through Readability (SmartReader) for the article and AngleSharp
/// for meta tags; plain text is taken line by line. Both then pass the same block rules (<see cref="PageBlocks"/>).
/// </summary>
public static partial class PageExtractor
{
    /// <summary>Bump when the output for the same page changes; re-extraction appends a new event under the new version.</summary>
    public const string Version = "capture-extractor/1";

    private const string BlockSelector = "p, h1, h2, h3, h4, h5, h6, li, blockquote, pre, figcaption, td, dt, dd";

    public static PageExtracted Extract(string captureId, string text, bool html, string url)
    {
        var page = html ? FromHtml(text, url) : FromPlain(text);
        var headline = page.Title is null ? Headline(page.Blocks) : null;
        var sorted = PageBlocks.Sort(page.Blocks, headline);
        var mainText = string.Join("\n\n", sorted.Kept);
        var title = page.Title ?? (headline is null ? null : TitleSuffix().Replace(headline, ""));
        var (date, confidence, evidence) = page.Date is { } d ? (d, PageFacts.High, page.DateEvidence) : PageFacts.PublishedFromText(page.Blocks);
        var byline = page.Byline.Count > 0 ? page.Byline : PageFacts.BylineFromText(page.Blocks);
        var removedChars = Math.Max(0, page.TotalChars - mainText.Length);
        return new PageExtracted(captureId, Version, title, byline, date, confidence, evidence, mainText, removedChars,
            [.. page.Dropped, .. sorted.Removed], CitedOutlets.Find(mainText), CandidateQuotes.Find(mainText));
    }

    private sealed record Page(IReadOnlyList<string> Blocks, int TotalChars, string? Title, IReadOnlyList<string> Byline,
        DateOnly? Date, string? DateEvidence, IReadOnlyList<RemovedBlock> Dropped);

    private static Page FromPlain(string text)
    {
        var blocks = text.Split('\n').Select(Clean).Where(l => l.Length > 0).ToList();
        return new Page(blocks, string.Join("\n\n", blocks).Length, null, [], null, null, []);
    }

    private static Page FromHtml(string html, string url)
    {
        var doc = new HtmlParser().ParseDocument(html);
        var all = Blocks(doc.Body);
        var (date, evidence) = MetaDate(doc);
        var article = ReadArticle(url, html);
        var blocks = article is null ? all : Blocks(new HtmlParser().ParseDocument($"<body>{article.Content}</body>").Body);
        if (blocks.Count == 0) blocks = all;
        var keptSet = blocks.ToHashSet(StringComparer.Ordinal);
        var dropped = all.Where(b => !keptSet.Contains(b)).Select(b => new RemovedBlock(b, "outside the article (Readability)")).ToList();
        var title = Meta(doc, "og:title", "twitter:title") ?? NullIfEmpty(article?.Title) ?? NullIfEmpty(doc.Title?.Trim());
        return new Page(blocks, string.Join("\n\n", all).Length, title, Byline(doc, article), date, evidence, dropped);
    }

    private static SmartReader.Article? ReadArticle(string url, string html)
    {
        var reader = new SmartReader.Reader(url, html) { ContinueIfNotReadable = true };
        var article = reader.GetArticle();
        return article.Completed && !string.IsNullOrWhiteSpace(article.Content) ? article : null;
    }

    /// <summary>Text blocks in document order; a block that holds other blocks (a list item around paragraphs) gives way to them.</summary>
    private static List<string> Blocks(IElement? root)
    {
        if (root is null) return [];
        foreach (var junk in root.QuerySelectorAll("script, style, noscript, template").ToList()) junk.Remove();
        return root.QuerySelectorAll(BlockSelector)
            .Where(e => e.QuerySelector(BlockSelector) is null)
            .Select(e => Clean(e.TextContent))
            .Where(t => t.Length > 0)
            .ToList();
    }

    private static string Clean(string text) => string.Join(' ', text.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries));

    private static (DateOnly?, string?) MetaDate(IHtmlDocument doc)
    {
        var value = Meta(doc, "article:published_time", "datePublished", "date", "pubdate", "publishdate", "dc.date.issued", "dc.date", "sailthru.date")
            ?? doc.QuerySelector("time[datetime][itemprop=datePublished], article time[datetime], header time[datetime], time[pubdate][datetime]")?.GetAttribute("datetime");
        return value is not null && PageFacts.ParseDate(value.Length > 10 && value[4] == '-' ? value[..10] : value) is { } d ? (d, $"meta: {value}") : (null, null);
    }

    private static IReadOnlyList<string> Byline(IHtmlDocument doc, SmartReader.Article? article)
    {
        var meta = Meta(doc, "author", "article:author", "dc.creator", "byl");
        var text = meta ?? doc.QuerySelector("[rel=author], [itemprop=author], .byline, .author")?.TextContent ?? article?.Byline ?? article?.Author;
        if (string.IsNullOrWhiteSpace(text)) return [];
        var names = System.Text.RegularExpressions.Regex.Replace(Clean(text), @"^By\s+", "", System.Text.RegularExpressions.RegexOptions.IgnoreCase);
        return System.Text.RegularExpressions.Regex.Split(names, @"\s*(?:,|\band\b|&)\s*").Where(n => n.Length > 0).Distinct().ToList();
    }

    private static string? Meta(IHtmlDocument doc, params string[] keys)
    {
        foreach (var key in keys)
        {
            var m = doc.QuerySelectorAll("meta").FirstOrDefault(e =>
                string.Equals(e.GetAttribute("property") ?? e.GetAttribute("name") ?? e.GetAttribute("itemprop"), key, StringComparison.OrdinalIgnoreCase));
            if (NullIfEmpty(m?.GetAttribute("content")) is { } v) return v.Trim();
        }
        return null;
    }

    /// <summary>A plain page's headline: the first short line before the prose that is not boilerplate, a date or a sentence.</summary>
    private static string? Headline(IReadOnlyList<string> blocks)
    {
        var lead = blocks.TakeWhile(b => b.Length < 150).ToList();
        var sorted = PageBlocks.Sort(lead);
        var removed = sorted.Removed.Where(r => !r.Reason.StartsWith("fragment", StringComparison.Ordinal)).Select(r => r.Text).ToHashSet(StringComparer.Ordinal);
        return lead.FirstOrDefault(b => b.Length >= 15 && !removed.Contains(b) && !b.EndsWith('.') && PageFacts.ParseDate(b) is null);
    }

    /// <summary>" - The New York Times - 23.12.23" after a reposted headline.</summary>
    [System.Text.RegularExpressions.GeneratedRegex(@"\s+[-–]\s+[^-–]+\s+[-–]\s+[\d.]+$")]
    private static partial System.Text.RegularExpressions.Regex TitleSuffix();

    private static string? NullIfEmpty(string? s) => string.IsNullOrWhiteSpace(s) ? null : s;
}
