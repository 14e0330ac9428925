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
        var evaluations = 0;
        bool Flips(HashSet<string> removed)
        {
            evaluations++;
            return evidence.Without(removed).Leading != leader;
        }
        var triedUpTo = 0;
        for (var size = 1; size <= roots.Count && evaluations + Combinations(roots.Count, size) <= budget; size++)
        {
            foreach (var set in Subsets(roots, size))
            {
                if (Flips(set))
                {
                    return new FlipSet([.. set.Order(StringComparer.Ordinal)], true, evaluations);
                }
            }
            triedUpTo = size;
        }
        var found = Ranked(evidence, leader, ref evaluations);
        return new FlipSet(found, found.Count <= triedUpTo + 1, evaluations);
    }

    /// <summary>Origins removed in order of how much each alone narrows the lead, until the lead is lost.</summary>
    private static List<string> Ranked(EvidenceOrigins evidence, string leader, ref int evaluations)
    {
        var order = new List<(string Root, double Margin)>();
        foreach (var root in evidence.Roots)
        {
            evaluations++;
            var alone = evidence.Without(new HashSet<string>(StringComparer.Ordinal) { root });
            if (alone.Leading != leader)
            {
                return [root];
            }
            order.Add((root, alone.Margin ?? 0));
        }
        var ranked = order.OrderBy(x => x.Margin).ThenBy(x => x.Root, StringComparer.Ordinal).Select(x => x.Root).ToList();
        // Bisect the shortest prefix of that order that loses the lead: removing none keeps it, removing all loses it.
        // (A lead lost at some prefix may come back at a longer one, so this finds a prefix that loses it, not always
        // the shortest; either way it is a bound.)
        var (keeps, loses) = (0, ranked.Count);
        while (loses - keeps > 1)
        {
            var middle = (keeps + loses) / 2;
            evaluations++;
            if (evidence.Without(ranked.Take(middle).ToHashSet(StringComparer.Ordinal)).Leading != leader)
            {
                loses = middle;
            }
            else
            {
                keeps = middle;
            }
        }
        return [.. ranked.Take(loses).Order(StringComparer.Ordinal)];
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

    /// <summary>Every <paramref name="size"/>-subset of <paramref name="items"/>, in lexicographic order of indices.</summary>
    private static IEnumerable<HashSet<string>> Subsets(IReadOnlyList<string> items, int size)
    {
        var index = Enumerable.Range(0, size).ToArray();
        while (true)
        {
            yield return new HashSet<string>(index.Select(i => items[i]), StringComparer.Ordinal);
            var j = size - 1;
            while (j >= 0 && index[j] == items.Count - size + j)
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
