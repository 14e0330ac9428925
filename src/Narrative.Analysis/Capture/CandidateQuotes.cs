using System.Text.RegularExpressions;
using Narrative.Domain;

namespace Narrative.Analysis.Capture;

/// <summary>
/// Quotations in the main text with the speaker the text gives them: "…," Peskov said / said one official; Putin
/// said: "…"; a pronoun ("he pledged") is taken as the last titled name before it (Mr. Putin), or left null.
/// </summary>
public static partial class CandidateQuotes
{
    private const int MinWords = 4;

    public static IReadOnlyList<CandidateQuote> Find(string text)
    {
        var quotes = new List<CandidateQuote>();
        foreach (Match m in Quoted().Matches(text))
        {
            var body = m.Groups["c"].Success ? m.Groups["c"].Value : m.Groups["s"].Value;
            body = body.Trim().TrimEnd(',').Trim();
            if (body.Split(' ', StringSplitOptions.RemoveEmptyEntries).Length < MinWords) continue;
            quotes.Add(new CandidateQuote(body, Speaker(text, m.Index, m.Index + m.Length)));
        }
        return quotes;
    }

    private static string? Speaker(string text, int start, int end)
    {
        var after = text[end..Math.Min(text.Length, end + 160)];
        var before = text[Math.Max(0, start - 160)..start];
        var who = SpeakerAfter().Match(after) is { Success: true } a ? (a.Groups["who"].Success && a.Groups["who"].Value.Length > 0 ? a.Groups["who"].Value : a.Groups["desc"].Value)
            : SpeakerBefore().Match(before) is { Success: true } b ? b.Groups["who"].Value
            : null;
        if (who is null) return null;
        who = who.Trim().TrimEnd(',', '.');
        return Pronoun().IsMatch(who) ? LastTitledName(text[..start]) : who;
    }

    private static string? LastTitledName(string before)
    {
        var names = TitledName().Matches(before);
        return names.Count > 0 ? names[^1].Value : null;
    }

    [GeneratedRegex(@"“(?<c>[^“”]{10,700})”|(?<![\p{L}\d])""(?<s>[^""]{10,700})""")]
    private static partial Regex Quoted();

    // Bare "he said" is matched so that it resolves through the last titled name, not through the next sentence.
    [GeneratedRegex(@"^\s*,?\s*(?:(?<who>(?:he|she|they)|(?:Mr\.|Ms\.|Mrs\.|Dr\.|President|Kremlin [Ss]pokesperson|spokesperson)?\s*\p{Lu}[\p{L}.'’-]*(?: \p{Lu}[\p{L}.'’-]*){0,3}) (?:said|says|told|wrote|pledged|added|noted|stated|insisted|declared|warned)|(?:said|says|added|wrote|according to) (?<desc>[^.,;:“”""]{3,120}))")]
    private static partial Regex SpeakerAfter();

    [GeneratedRegex(@"(?<who>(?:Mr\.|Ms\.|Mrs\.|Dr\.|President)?\s*\p{Lu}[\p{L}.'’-]*(?: \p{Lu}[\p{L}.'’-]*){0,3}) (?:said|says|told [^,:]{1,60}|wrote|pledged|added|stated|declared|warned)[,:]?\s*$")]
    private static partial Regex SpeakerBefore();

    [GeneratedRegex(@"^(he|she|they)$", RegexOptions.IgnoreCase)]
    private static partial Regex Pronoun();

    [GeneratedRegex(@"\b(?:Mr\.|Ms\.|Mrs\.|Dr\.|President|Spokesperson) \p{Lu}[\p{L}'’-]+(?: \p{Lu}\.)?(?: \p{Lu}[\p{L}'’-]+)?")]
    private static partial Regex TitledName();
}
