using Narrative.Domain.Assessment;

namespace Narrative.Domain.Analysts;

/// <summary>A <see cref="RatingRecorded"/> as the log holds it: its position and system time.</summary>
public sealed record AnalystRating(
    long Position, DateTimeOffset RecordedAt, string Analyst, string Topic, string Claim,
    IReadOnlyDictionary<string, string> Ratings, int? Credibility, string? Note);

/// <summary>Whose ratings an assessment uses: the documents' (the default), one analyst's, or the team's consensus.</summary>
public sealed record RatingsLens(string Kind, string? Analyst = null)
{
    public const string DocumentKind = "document";
    public const string AnalystKind = "analyst";
    public const string ConsensusKind = "consensus";

    public static RatingsLens Document { get; } = new(DocumentKind);
    public static RatingsLens Consensus { get; } = new(ConsensusKind);

    public static RatingsLens Of(string analyst) => new(AnalystKind, analyst);

    /// <summary>What a cell or row rated through this lens is attributed to: "document", the analyst's id, or "consensus".</summary>
    public string Label => Kind == AnalystKind ? Analyst! : Kind;
}

/// <summary>Where one evidence row's ratings came from: the row as a whole and each cell (hypothesis id → author).</summary>
public sealed record RatingSource(string RatingsBy, IReadOnlyDictionary<string, string> CellsBy);

/// <summary>The topic's evidence as seen through a lens, with where each row's ratings came from and the rating events used.</summary>
public sealed record RatedEvidence(IReadOnlyList<EvidenceItem> Items, IReadOnlyDictionary<string, RatingSource> Sources, IReadOnlyList<long> Positions);

/// <summary>
/// The analysts' ratings turned into per-claim ratings for the ordinary scoring functions (nothing here scores).
/// <list type="bullet">
/// <item><b>Latest</b>: per (analyst, claim), the rating recorded last at or before knownAt replaces the earlier ones
/// wholly (a hypothesis it leaves out falls back to the document's rating).</item>
/// <item><b>Analyst view</b>: each cell the analyst rated takes their rating; the document's rating fills the rest. A
/// credibility they gave replaces the item's.</item>
/// <item><b>Consensus view</b> (<see cref="Median"/>): each cell that at least one analyst rated takes the median of
/// their ratings on the scale CC=2, C=1, N=0, I=−1, II=−2; with an even count, the mean of the middle two rounded
/// toward N (so C and I give N, CC and C give C). NA ratings are left out of the median, and a cell rated only NA is
/// NA. Cells no analyst rated keep the document's rating; credibility stays the document's.</item>
/// </list>
/// A rating applies to every item of its claim, so the claim's scored (first) appearance carries it whichever item that is.
/// </summary>
public static class RatingViews
{
    /// <summary>Per claim, per analyst, the rating in force at <paramref name="knownAt"/> (the latest recorded by then).</summary>
    public static IReadOnlyDictionary<string, IReadOnlyDictionary<string, AnalystRating>> Latest(IEnumerable<AnalystRating> ratings, DateTimeOffset knownAt)
    {
        ArgumentNullException.ThrowIfNull(ratings);
        var latest = new Dictionary<string, Dictionary<string, AnalystRating>>(StringComparer.Ordinal);
        foreach (var r in ratings)
        {
            if (r.RecordedAt > knownAt)
            {
                continue;
            }
            if (!latest.TryGetValue(r.Claim, out var byAnalyst))
            {
                latest[r.Claim] = byAnalyst = new Dictionary<string, AnalystRating>(StringComparer.Ordinal);
            }
            if (!byAnalyst.TryGetValue(r.Analyst, out var held) || r.Position > held.Position)
            {
                byAnalyst[r.Analyst] = r;
            }
        }
        return latest.ToDictionary(kv => kv.Key, kv => (IReadOnlyDictionary<string, AnalystRating>)kv.Value, StringComparer.Ordinal);
    }

    public static string ScaleRating(int value) => value switch
    {
        >= 2 => "CC",
        1 => "C",
        0 => "N",
        -1 => "I",
        _ => "II",
    };

    /// <summary>
    /// The consensus of several ratings of one cell: the median on the CC…II scale, an even count's middle two averaged
    /// and rounded toward N; NA is left out unless nothing else was given. Null for no ratings.
    /// </summary>
    public static string? Median(IEnumerable<string> ratings)
    {
        ArgumentNullException.ThrowIfNull(ratings);
        var values = new List<int>();
        var any = false;
        foreach (var r in ratings)
        {
            any = true;
            if (AchScoring.RatingValue(r) is { } v)
            {
                values.Add(v);
            }
        }
        if (values.Count == 0)
        {
            return any ? "NA" : null;
        }
        values.Sort();
        var n = values.Count;
        // Integer division truncates toward zero, i.e. toward N.
        return ScaleRating(n % 2 == 1 ? values[n / 2] : (values[(n / 2) - 1] + values[n / 2]) / 2);
    }

    /// <summary>
    /// The largest difference on the CC…II scale between two analysts' ratings of the same hypothesis (NA left out);
    /// 0 with fewer than two comparable ratings of every hypothesis.
    /// </summary>
    public static int Spread(IEnumerable<IReadOnlyDictionary<string, string>> analystsRatings) =>
        SpreadByHypothesis(analystsRatings).Values.DefaultIfEmpty(0).Max();

    public static IReadOnlyDictionary<string, int> SpreadByHypothesis(IEnumerable<IReadOnlyDictionary<string, string>> analystsRatings)
    {
        ArgumentNullException.ThrowIfNull(analystsRatings);
        var range = new SortedDictionary<string, (int Min, int Max)>(StringComparer.Ordinal);
        foreach (var ratings in analystsRatings)
        {
            foreach (var (h, rating) in ratings)
            {
                if (AchScoring.RatingValue(rating) is not { } v)
                {
                    continue;
                }
                range[h] = range.TryGetValue(h, out var m) ? (Math.Min(m.Min, v), Math.Max(m.Max, v)) : (v, v);
            }
        }
        return range.ToDictionary(kv => kv.Key, kv => kv.Value.Max - kv.Value.Min, StringComparer.Ordinal);
    }

    /// <summary>One analyst's ratings of a claim laid over the document's: theirs where they rated, the document's elsewhere.</summary>
    public static IReadOnlyDictionary<string, string> Overlay(IReadOnlyDictionary<string, string> document, IReadOnlyDictionary<string, string> analyst)
    {
        ArgumentNullException.ThrowIfNull(document);
        ArgumentNullException.ThrowIfNull(analyst);
        var merged = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (var (h, r) in document)
        {
            merged[h] = r;
        }
        foreach (var (h, r) in analyst)
        {
            merged[h] = r;
        }
        return merged;
    }

    /// <summary>
    /// The topic's <paramref name="items"/> through <paramref name="lens"/>, given the ratings in force per claim
    /// (<see cref="Latest"/>). The document lens returns the items unchanged.
    /// </summary>
    public static RatedEvidence Apply(
        RatingsLens lens, IReadOnlyList<EvidenceItem> items, IReadOnlyDictionary<string, IReadOnlyDictionary<string, AnalystRating>> latest)
    {
        ArgumentNullException.ThrowIfNull(lens);
        ArgumentNullException.ThrowIfNull(items);
        ArgumentNullException.ThrowIfNull(latest);
        var sources = new Dictionary<string, RatingSource>(StringComparer.Ordinal);
        if (lens.Kind == RatingsLens.DocumentKind || latest.Count == 0)
        {
            return new RatedEvidence(items, sources, []);
        }
        var positions = new SortedSet<long>();
        var list = new List<EvidenceItem>(items.Count);
        foreach (var item in items)
        {
            var rated = latest.GetValueOrDefault(item.Claim) is { } byAnalyst ? Rate(lens, item, byAnalyst, positions) : null;
            if (rated is null)
            {
                list.Add(item);
                continue;
            }
            list.Add(rated.Value.Item);
            sources[item.ItemId] = rated.Value.Source;
        }
        return new RatedEvidence(list, sources, [.. positions]);
    }

    private static (EvidenceItem Item, RatingSource Source)? Rate(
        RatingsLens lens, EvidenceItem item, IReadOnlyDictionary<string, AnalystRating> byAnalyst, SortedSet<long> positions)
    {
        if (lens.Kind == RatingsLens.AnalystKind)
        {
            if (!byAnalyst.TryGetValue(lens.Analyst!, out var mine))
            {
                return null;
            }
            positions.Add(mine.Position);
            var ratings = Overlay(item.Ratings, mine.Ratings);
            var cells = ratings.Keys.ToDictionary(h => h, h => mine.Ratings.ContainsKey(h) ? mine.Analyst : RatingsLens.DocumentKind, StringComparer.Ordinal);
            return (item with { Ratings = ratings, Credibility = mine.Credibility ?? item.Credibility }, new RatingSource(mine.Analyst, cells));
        }
        if (byAnalyst.Count == 0)
        {
            return null;
        }
        foreach (var r in byAnalyst.Values)
        {
            positions.Add(r.Position);
        }
        var consensus = Consensus(byAnalyst.Values);
        var merged = Overlay(item.Ratings, consensus);
        var by = merged.Keys.ToDictionary(h => h, h => consensus.ContainsKey(h) ? RatingsLens.ConsensusKind : RatingsLens.DocumentKind, StringComparer.Ordinal);
        return (item with { Ratings = merged }, new RatingSource(RatingsLens.ConsensusKind, by));
    }

    /// <summary>The consensus cells of one claim: the <see cref="Median"/> of each hypothesis some analyst rated.</summary>
    public static IReadOnlyDictionary<string, string> Consensus(IEnumerable<AnalystRating> ratings)
    {
        ArgumentNullException.ThrowIfNull(ratings);
        var cells = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (var g in ratings.SelectMany(r => r.Ratings).GroupBy(kv => kv.Key, StringComparer.Ordinal))
        {
            cells[g.Key] = Median(g.Select(kv => kv.Value))!;
        }
        return cells;
    }
}
