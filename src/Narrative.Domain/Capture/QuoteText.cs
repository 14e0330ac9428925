using System.Text;

namespace Narrative.Domain.Capture;

/// <summary>
/// "Verbatim" for quotes, as analysts copy them: whitespace runs, curly or straight quote marks and the dash family
/// count as equal, and <c>...</c> (or <c>…</c>) in a quote stands for an elision of any length. Case and every other
/// character must match.
/// </summary>
public static class QuoteText
{
    /// <summary>The normalised text and, for each of its characters, the index in the original it came from.</summary>
    public sealed record Normalised(string Text, int[] Map);

    public static Normalised Normalise(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var sb = new StringBuilder(text.Length);
        var map = new List<int>(text.Length);
        var pendingSpace = -1;
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (char.IsWhiteSpace(c))
            {
                if (sb.Length > 0 && pendingSpace < 0) pendingSpace = i;
                continue;
            }
            if (pendingSpace >= 0)
            {
                sb.Append(' ');
                map.Add(pendingSpace);
                pendingSpace = -1;
            }
            if (c == '…')
            {
                sb.Append("...");
                map.AddRange([i, i, i]);
                continue;
            }
            sb.Append(Fold(c));
            map.Add(i);
        }
        return new Normalised(sb.ToString(), [.. map]);
    }

    private static char Fold(char c) => c switch
    {
        '“' or '”' or '„' or '‟' or '″' or '«' or '»' => '"',
        '‘' or '’' or '‚' or '‛' or '′' or '`' => '\'',
        '‐' or '‑' or '‒' or '–' or '—' or '―' or '−' => '-',
        _ => c,
    };

    /// <summary>The quote's parts, split at elisions; outer quote marks and blanks trimmed.</summary>
    public static IReadOnlyList<string> Parts(string quote)
    {
        var n = Normalise(quote).Text.Trim().Trim('"').Trim();
        return n.Split("...", StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(p => p.Trim('"', ' ')).Where(p => p.Length > 0).ToList();
    }

    /// <summary>
    /// Where the quote is in the text, as [start, end) in the original text (from the first part's start to the last
    /// part's end), or null. Parts must appear in order.
    /// </summary>
    public static (int Start, int End)? Find(string text, string quote)
    {
        var parts = Parts(quote);
        if (parts.Count == 0) return null;
        var n = Normalise(text);
        var from = 0;
        int start = -1, end = -1;
        foreach (var part in parts)
        {
            var at = n.Text.IndexOf(part, from, StringComparison.Ordinal);
            if (at < 0) return null;
            if (start < 0) start = at;
            end = at + part.Length;
            from = end;
        }
        return (n.Map[start], n.Map[end - 1] + 1);
    }

    public static bool Appears(string text, string quote) => Find(text, quote) is not null;
}
