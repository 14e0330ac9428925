using System.Collections.Immutable;

namespace Narrative.Domain.Hypotheses;

/// <summary>How a revision changes a topic's hypothesis set, and what a split means for ratings.</summary>
public static class HypothesisRevision
{
    /// <summary>
    /// The set after <paramref name="revision"/>: the current hypotheses in order, less the retired ones and the sources
    /// of splits, then the added ones (split products included) in the order given.
    /// </summary>
    public static IReadOnlyList<Hypothesis> Apply(IReadOnlyList<Hypothesis> current, HypothesesRevised revision)
    {
        ArgumentNullException.ThrowIfNull(current);
        ArgumentNullException.ThrowIfNull(revision);
        var leaving = revision.Retired.Concat(revision.Splits.Select(s => s.From)).ToHashSet(StringComparer.Ordinal);
        return [.. current.Where(h => !leaving.Contains(h.Id)), .. revision.Added];
    }

    /// <summary>The splits of these revisions in the order they were made (a later split may split a split's product).</summary>
    public static IReadOnlyList<HypothesisSplit> Splits(IEnumerable<HypothesesRevised> revisions) =>
        [.. revisions.SelectMany(r => r.Splits)];

    /// <summary>
    /// Ratings with the splits filled in: a hypothesis split from another starts with its source's rating for every
    /// item the analyst has not rated for it, because whatever bore on the whole bears on each part until someone
    /// says otherwise. Returns <paramref name="ratings"/> itself when nothing is filled in.
    /// </summary>
    public static IReadOnlyDictionary<string, string> Inherit(IReadOnlyDictionary<string, string> ratings, IReadOnlyList<HypothesisSplit> splits)
    {
        ArgumentNullException.ThrowIfNull(ratings);
        ArgumentNullException.ThrowIfNull(splits);
        ImmutableSortedDictionary<string, string>.Builder? filled = null;
        foreach (var split in splits)
        {
            var source = filled is null ? ratings.GetValueOrDefault(split.From) : filled.GetValueOrDefault(split.From);
            if (source is null)
            {
                continue;
            }
            foreach (var part in split.Into)
            {
                if ((filled is null ? ratings.ContainsKey(part) : filled.ContainsKey(part)))
                {
                    continue;
                }
                filled ??= ratings.ToImmutableSortedDictionary(StringComparer.Ordinal).ToBuilder();
                filled[part] = source;
            }
        }
        return filled is null ? ratings : filled.ToImmutable();
    }
}
