namespace Narrative.Domain.Assessment;

/// <summary>
/// One scored claim's weight in the answer: who would lead without any appearance of it, and by how much.
/// <paramref name="Linchpin"/>: the leader would change (or no leader would be left).
/// </summary>
public sealed record ClaimSensitivity(string Claim, string ItemId, string? LeadingWithout, double? MarginWithout, bool Linchpin);

/// <summary>
/// A set of independent origins (document ids) whose removal, re-reports included, loses the lead. <paramref name="Exact"/>:
/// no smaller set does (every smaller set was tried). <paramref name="Evaluations"/>: removals tried.
/// </summary>
public sealed record FlipSet(IReadOnlyList<string> Origins, bool Exact, int Evaluations);

public sealed record SensitivityResult(
    string Topic, DateTimeOffset AsOf, DateTimeOffset KnownAt, long Position, string? Leading, double? Margin,
    IReadOnlyList<ClaimSensitivity> Claims, IReadOnlyList<string> Linchpins, FlipSet? FlipSet)
{
    public string Judgments { get; init; } = "exclude";

    /// <summary>Rating sensitivity: the cells whose rating, moved one step, changes the leader or the likelihood word.</summary>
    public RatingSensitivityResult? Ratings { get; init; }
}

/// <summary>Heuer's ACH step 6: how much the conclusion rests on a few items of evidence.</summary>
public static class SensitivityAnalysis
{
    /// <summary>
    /// Removals the exhaustive search may try (all sets of 1, then 2, … origins) before it falls back to the ranked
    /// search. 2,000 covers every pair among 60 origins, or every triple among 20, in a few milliseconds.
    /// </summary>
    public const int ExhaustiveBudget = 2000;

    /// <summary>Each scored claim removed in turn (every appearance of it), in appearance order.</summary>
    public static IReadOnlyList<ClaimSensitivity> Claims(EvidenceOrigins evidence)
    {
        ArgumentNullException.ThrowIfNull(evidence);
        var none = new HashSet<string>(StringComparer.Ordinal);
        return evidence.Score.Scored
            .Select(item =>
            {
                var without = evidence.Without(none, item.Claim);
                return new ClaimSensitivity(item.Claim, item.ItemId, without.Leading, without.Margin, without.Leading != evidence.Score.Leading);
            })
            .ToList();
    }

    /// <summary>
    /// The smallest set of origins whose removal loses the lead: every set by increasing size while the budget lasts;
    /// past it, origins are removed in order of how much each alone narrows the lead until it is lost (a bound, exact
    /// only when every smaller set was tried). Null without a leader. Removing every origin always loses the lead.
    /// </summary>
    public static FlipSet? FindFlipSet(EvidenceOrigins evidence, int budget = ExhaustiveBudget)
    {
        ArgumentNullException.ThrowIfNull(evidence);
        var leader = evidence.Score.Leading;
        if (leader is null)
        {
            return null;
        }
        var roots = evidence.Roots;
        var removal = evidence.Removals();
        var evaluations = 0;
        // What each origin alone leaves, once the exhaustive search has tried every single removal: the ranked search
        // starts from the same removals and need not try them again.
        Outcome[]? alone = null;
        var triedUpTo = 0;
        for (var size = 1; size <= roots.Count && evaluations + Combinations(roots.Count, size) <= budget; size++)
        {
            var singles = size == 1 ? new Outcome[roots.Count] : null;
            foreach (var set in Subsets(roots.Count, size))
            {
                evaluations++;
                var outcome = removal.Without(set);
                if (outcome.Leading != leader)
                {
                    return new FlipSet(Names(roots, set), true, evaluations);
                }
                if (singles is not null)
                {
                    singles[set[0]] = outcome;
                }
            }
            alone ??= singles;
            triedUpTo = size;
        }
        var found = Ranked(removal, roots, leader, alone, ref evaluations);
        return new FlipSet(found, found.Count <= triedUpTo + 1, evaluations);
    }

    /// <summary>Origins removed in order of how much each alone narrows the lead, until the lead is lost.</summary>
    private static List<string> Ranked(
        EvidenceOrigins.Removal removal, IReadOnlyList<string> roots, string leader, Outcome[]? alone, ref int evaluations)
    {
        if (alone is null)
        {
            alone = new Outcome[roots.Count];
            for (var r = 0; r < roots.Count; r++)
            {
                evaluations++;
                alone[r] = removal.Without([r]);
                if (alone[r].Leading != leader)
                {
                    return [roots[r]];
                }
            }
        }
        // Roots are in ordinal order, so a stable sort by margin breaks ties by the root's name.
        var ranked = Enumerable.Range(0, roots.Count).OrderBy(r => alone[r].Margin ?? 0).ToArray();
        // Bisect the shortest prefix of that order that loses the lead: removing none keeps it, removing all loses it.
        // (A lead lost at some prefix may come back at a longer one, so this finds a prefix that loses it, not always
        // the shortest; either way it is a bound.)
        var (keeps, loses) = (0, ranked.Length);
        while (loses - keeps > 1)
        {
            var middle = (keeps + loses) / 2;
            evaluations++;
            if (removal.Without(ranked.AsSpan(0, middle)).Leading != leader)
            {
                loses = middle;
            }
            else
            {
                keeps = middle;
            }
        }
        return Names(roots, ranked.AsSpan(0, loses));
    }

    private static List<string> Names(IReadOnlyList<string> roots, ReadOnlySpan<int> set)
    {
        var names = new List<string>(set.Length);
        foreach (var r in set)
        {
            names.Add(roots[r]);
        }
        names.Sort(StringComparer.Ordinal);
        return names;
    }

    private static double Combinations(int n, int k)
    {
        var c = 1.0;
        for (var i = 1; i <= k; i++)
        {
            c = c * (n - k + i) / i;
        }
        return c;
    }

    /// <summary>
    /// Every <paramref name="size"/>-subset of 0 … <paramref name="count"/> − 1, in lexicographic order. The same array is
    /// yielded each time, changed in place.
    /// </summary>
    private static IEnumerable<int[]> Subsets(int count, int size)
    {
        var index = Enumerable.Range(0, size).ToArray();
        while (true)
        {
            yield return index;
            var j = size - 1;
            while (j >= 0 && index[j] == count - size + j)
            {
                j--;
            }
            if (j < 0)
            {
                yield break;
            }
            index[j]++;
            for (var k = j + 1; k < size; k++)
            {
                index[k] = index[k - 1] + 1;
            }
        }
    }
}
