using System.Globalization;
using System.Text.RegularExpressions;

namespace Narrative.Analysis.Capture;

/// <summary>Dates and bylines read from a page's text, for pages whose markup does not carry them.</summary>
public static partial class PageFacts
{
    public const string High = "high";
    public const string Low = "low";
    public const string None = "none";

    private static readonly string[] MonthFormats =
        ["MMMM d, yyyy", "MMMM d yyyy", "d MMMM yyyy", "MMM d, yyyy", "d MMM yyyy", "yyyy-MM-dd", "MMM. d, yyyy"];

    /// <summary>
    /// The publication date from the blocks before the article's first prose: a line that is only a date (optionally
    /// "Published"/"Updated") is high confidence; a date inside a title or label line is low (numeric forms such as
    /// 23.12.23 could be read in more than one order); nothing is none. Dates inside the prose are not taken: they
    /// are what the article is about, not when it appeared.
    /// </summary>
    public static (DateOnly? Date, string Confidence, string? Evidence) PublishedFromText(IReadOnlyList<string> blocks)
    {
        foreach (var b in blocks.TakeWhile(b => b.Length < 150).Take(12))
        {
            var line = DateLabel().Replace(b, "").Trim();
            if (ParseDate(line) is { } d) return (d, High, b);
        }
        foreach (var b in blocks.TakeWhile(b => b.Length < 150).Take(12))
        {
            foreach (Match m in DateInside().Matches(b))
            {
                if (ParseDate(m.Value) is { } d) return (d, Low, b);
            }
        }
        return (null, None, null);
    }

    public static DateOnly? ParseDate(string text)
    {
        var t = text.Trim().TrimEnd('.');
        if (DateTimeOffset.TryParse(t, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var dto) && t.Length >= 8 && char.IsDigit(t[0]) && t.Contains('-', StringComparison.Ordinal))
            return DateOnly.FromDateTime(dto.UtcDateTime);
        if (DateOnly.TryParseExact(t, MonthFormats, CultureInfo.InvariantCulture, DateTimeStyles.AllowWhiteSpaces, out var d)) return d;
        if (NumericDate().Match(t) is { Success: true } m)
        {
            var year = int.Parse(m.Groups[3].Value, CultureInfo.InvariantCulture);
            if (year < 100) year += 2000;
            // Day first, as in most of the world; which is why such a date is only ever low confidence.
            return DateOnly.TryParseExact($"{m.Groups[1].Value.PadLeft(2, '0')}.{m.Groups[2].Value.PadLeft(2, '0')}.{year}", "dd.MM.yyyy",
                CultureInfo.InvariantCulture, DateTimeStyles.None, out var n) ? n : null;
        }
        return null;
    }

    /// <summary>Authors named by a "By …" line, a sign-on ("I'm Jane Doe, the editor of …") or an author note.</summary>
    public static IReadOnlyList<string> BylineFromText(IReadOnlyList<string> blocks)
    {
        var names = new List<string>();
        foreach (var b in blocks)
        {
            if (b.Length < 120 && ByLine().Match(b) is { Success: true } by)
                names.AddRange(NameList().Split(by.Groups[1].Value).Select(n => n.Trim()).Where(n => n.Length > 0));
            else if (SignOn().Match(b) is { Success: true } me) names.Add(me.Groups[1].Value);
            else if (b.Length < 300 && AuthorNote().Match(b) is { Success: true } note) names.Add(note.Groups[1].Value);
        }
        return names.Distinct(StringComparer.Ordinal).ToList();
    }

    [GeneratedRegex(@"^(published|updated|posted|date)\s*(on)?\s*:?\s*", RegexOptions.IgnoreCase)]
    private static partial Regex DateLabel();

    [GeneratedRegex(@"\b(\d{4}-\d{2}-\d{2}|\d{1,2}\.\d{1,2}\.\d{2,4}|(January|February|March|April|May|June|July|August|September|October|November|December) \d{1,2},? \d{4}|\d{1,2} (January|February|March|April|May|June|July|August|September|October|November|December) \d{4})\b")]
    private static partial Regex DateInside();

    [GeneratedRegex(@"^(\d{1,2})\.(\d{1,2})\.(\d{2}|\d{4})$")]
    private static partial Regex NumericDate();

    [GeneratedRegex(@"^By\s+(\p{Lu}[\p{L}.'’ -]+(?:(?:,|\band\b|&)\s*\p{Lu}[\p{L}.'’ -]+)*)$")]
    private static partial Regex ByLine();

    [GeneratedRegex(@"\s*(?:,|\band\b|&)\s*")]
    private static partial Regex NameList();

    [GeneratedRegex(@"^I'?’?m (\p{Lu}\p{L}+(?: \p{Lu}\.?)?(?: \p{Lu}[\p{L}'’-]+){1,2}), (?:the|a|an) [^.]{0,40}(editor|correspondent|reporter|writer|columnist)")]
    private static partial Regex SignOn();

    [GeneratedRegex(@"^(?!Mr\b|Mrs\b|Ms\b|Dr\b|President\b)(\p{Lu}\p{L}+(?: \p{Lu}\.)?(?: \p{Lu}[\p{L}'’-]+){1,2}) (?:is (?:a|an|the) [^.]{0,60}(?:correspondent|reporter|bureau chief|editor|writer|journalist|columnist)|covers |writes about )")]
    private static partial Regex AuthorNote();
}
