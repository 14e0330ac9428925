using System.Text.RegularExpressions;
using Narrative.Domain;

namespace Narrative.Analysis.Capture;

/// <summary>
/// Sorts a page's text blocks (paragraphs, headings, list items; or the lines of a plain-text page) into the article
/// and the rest. Readability (SmartReader) already drops most chrome from HTML; these rules catch what sits inside the
/// article container or arrives as plain text: sign-ups, appeals, share bars, and whatever follows the article's end.
/// </summary>
public static partial class PageBlocks
{
    /// <summary>A block this short with no sentence ending is a menu entry, heading, label or credit, not prose.</summary>
    private const int FragmentChars = 60;

    /// <summary>A block at least this long is prose; the article's end is only looked for after the first one.</summary>
    private const int ProseChars = 150;

    /// <summary>Appeals and sign-ups are short; a longer block that mentions "newsletter" or "donation" is news.</summary>
    private const int BoilerplateChars = 400;

    public sealed record Sorted(IReadOnlyList<string> Kept, IReadOnlyList<RemovedBlock> Removed);

    /// <summary>Sorts blocks; <paramref name="headline"/>, when given, is set aside as the title.</summary>
    public static Sorted Sort(IReadOnlyList<string> blocks, string? headline = null)
    {
        var kept = new List<string>();
        var removed = new List<RemovedBlock>();
        var firstProse = blocks.ToList().FindIndex(b => b.Length >= ProseChars);
        var end = firstProse < 0 ? -1 : blocks.ToList().FindIndex(firstProse + 1, b => EndOfArticle().IsMatch(b));
        var counts = blocks.GroupBy(b => b, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.Count(), StringComparer.Ordinal);
        for (var i = 0; i < blocks.Count; i++)
        {
            var b = blocks[i];
            var reason = end >= 0 && i >= end ? "after the end of the article"
                : b == headline ? "headline (the title)"
                : b.Length < BoilerplateChars && Boilerplate().IsMatch(b) ? "boilerplate (sign-up, appeal, sharing, navigation)"
                : counts[b] > 1 ? "repeated (caption or teaser)"
                : IsFragment(b) ? "fragment (menu, heading, label or credit)"
                : null;
            if (reason is null) kept.Add(b);
            else removed.Add(new RemovedBlock(b, reason));
        }
        return new Sorted(kept, removed);
    }

    public static bool IsFragment(string block) =>
        block.Length < FragmentChars && !SentenceEnd().IsMatch(block);

    /// <summary>Blocks from which on nothing belongs to the article (share bars, sign-offs, author notes, appeals).</summary>
    [GeneratedRegex(@"^(share (the|this) (post|article|story)|that'?’?s it from me|about this newsletter|…? ?we have a small favou?r to ask|bottom of page|related (articles|stories|posts)|more from |you (might|may) also like|recommended for you|read next|reporting (was )?contributed by|for (the )?full (report|article))",
        RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex EndOfArticle();

    [GeneratedRegex(@"(newsletter|subscribe|sign up|sign-up|in your inbox|e-?mail address|donat(e|ion)|support (us|the moscow times|our journalism|independent)|your support|become a (member|supporter)|cookie|privacy policy|terms of (use|service)|all rights reserved|click here|join us on|follow (us|our)|share (on|this|the)|accessibility links|breaking news|top of page|skip to (main )?content|^read more$|^continue$|^advertisement$|\d+ views|\d+ comments|ctrl ?\+ ?enter|undesirable organi[sz]ation|^download\b)",
        RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex Boilerplate();

    [GeneratedRegex(@"[.!?…""”’']\)?$")]
    private static partial Regex SentenceEnd();
}
