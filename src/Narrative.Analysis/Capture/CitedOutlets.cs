using System.Text.RegularExpressions;

namespace Narrative.Analysis.Capture;

/// <summary>
/// Outlets a page cites ("according to Bloomberg", "The New York Times reported", "told Reuters"), and their mapping to
/// registered sources. A mention counts only with a citing verb next to it, so that "RFE/RL's Russia desk" on RFE/RL's
/// own page is not a citation.
/// </summary>
public static partial class CitedOutlets
{
    /// <summary>Well-known outlets and the other names a text uses for them. Registered sources are matched by name too.</summary>
    private static readonly (string Name, string[] Aliases)[] Known =
    [
        ("The New York Times", ["New York Times", "NYT"]),
        ("The Washington Post", ["Washington Post"]),
        ("The Wall Street Journal", ["Wall Street Journal", "WSJ"]),
        ("Bloomberg", ["Bloomberg News", "Bloomberg"]),
        ("Reuters", ["Reuters"]),
        ("Associated Press", ["Associated Press"]),
        ("Financial Times", ["Financial Times"]),
        ("The Economist", ["Economist"]),
        ("The Guardian", ["Guardian"]),
        ("BBC", ["BBC"]),
        ("CNN", ["CNN"]),
        ("Politico", ["Politico"]),
        ("Axios", ["Axios"]),
        ("TASS", ["TASS"]),
        ("RIA Novosti", ["RIA Novosti"]),
        ("Interfax", ["Interfax"]),
        ("Kommersant", ["Kommersant"]),
        ("Meduza", ["Meduza"]),
        ("The Moscow Times", ["Moscow Times"]),
        ("Kyiv Post", ["Kyiv Post"]),
        ("Radio Free Europe/Radio Liberty", ["RFE/RL", "Radio Free Europe"]),
        ("Institute for the Study of War", ["Institute for the Study of War", "ISW"]),
        ("Wilson Center", ["Wilson Center"]),
    ];

    private static readonly Regex[] Patterns = Known.Select(k =>
        new Regex($@"(?<![\p{{L}}/]){Alternatives(k.Aliases)}(?![\p{{L}}/])", RegexOptions.CultureInvariant)).ToArray();

    private static string Alternatives(string[] aliases) => "(?:(?:the |The )?(?:" + string.Join('|', aliases.Select(Regex.Escape)) + "))";

    /// <summary>The cited outlets' canonical names, in order of first citation.</summary>
    public static IReadOnlyList<string> Find(string text)
    {
        var found = new List<(int At, string Name)>();
        for (var k = 0; k < Known.Length; k++)
        {
            foreach (Match m in Patterns[k].Matches(text))
            {
                var before = text[Math.Max(0, m.Index - 40)..m.Index];
                var after = text[(m.Index + m.Length)..Math.Min(text.Length, m.Index + m.Length + 40)];
                if (CitingBefore().IsMatch(before) || CitingAfter().IsMatch(after))
                {
                    found.Add((m.Index, Known[k].Name));
                    break;
                }
            }
        }
        return found.OrderBy(f => f.At).Select(f => f.Name).ToList();
    }

    /// <summary>The registered source for an outlet: same name once "The" and "News" are set aside, or an alias equal to the source's id or name.</summary>
    public static string? SourceFor(string outlet, IReadOnlyList<(string Id, string Name)> sources)
    {
        var names = Known.Where(k => k.Name == outlet).SelectMany(k => k.Aliases.Append(k.Name)).Append(outlet).Select(Key).ToHashSet(StringComparer.Ordinal);
        return sources.FirstOrDefault(s => names.Contains(Key(s.Name)) || names.Contains(Key(s.Id))).Id;
    }

    private static string Key(string name) => KeyNoise().Replace(name.ToLowerInvariant(), "").Trim();

    [GeneratedRegex(@"(according to|told|cited by|citing|reported by|reports? (by|from|in)|quoted by|in an interview with|speaking to|spoke to|story (by|in)|article (by|in)|writing in|wrote in|published by|sources? (to|for))\s*(the\s*)?$", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex CitingBefore();

    [GeneratedRegex(@"^(’s|'s)?\s*(\([A-Z]+\)\s*)?(\s*–[^–]{0,120}–\s*)?(,? which )?(has |had |first |also |previously |later |on \w+ )?(reported|reports|said|says|wrote|writes|published|revealed|cited|quoted|article|report|story|piece)\b", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex CitingAfter();

    [GeneratedRegex(@"^the |\bnews\b|[^a-z0-9]")]
    private static partial Regex KeyNoise();
}
