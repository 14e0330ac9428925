using Narrative.Domain.Assessment;

namespace Narrative.Domain.Provenance;

public sealed record Appearance(string ItemId, string DocumentId, string Source, DateOnly PublishedAt, bool Derivative, string? DerivedFrom);

public sealed record ProvenanceResult(
    string Claim, DateTimeOffset AsOf, DateTimeOffset KnownAt, long Position, int IndependentOrigins,
    Appearance? FirstAppearance, IReadOnlyList<Appearance> Appearances);

/// <summary>Provenance per DESIGN.md (contract).</summary>
public static class ProvenanceAnalysis
{
    /// <summary>
    /// For each of <paramref name="visible"/> (the items published ≤ asOf, known and not retracted) the document it
    /// derives from, or null when it is an independent origin. An appearance is derivative when its document cites,
    /// directly or through other cited documents, a document carrying a visible appearance of the same claim.
    /// The cites graph is walked breadth first (cites in their listed order); the nearest such document is
    /// <c>derivedFrom</c>. Intermediate documents need only be held; they need not carry the claim.
    /// </summary>
    public static IReadOnlyDictionary<string, string?> DerivedFrom(
        IEnumerable<EvidenceItem> visible, IReadOnlyDictionary<string, IReadOnlyList<string>> cites)
    {
        ArgumentNullException.ThrowIfNull(visible);
        ArgumentNullException.ThrowIfNull(cites);
        var items = visible.ToList();
        // (claim, document) for every document that carries a visible appearance of the claim.
        var carriers = new HashSet<(string Claim, string Document)>();
        foreach (var i in items)
        {
            carriers.Add((i.Claim, i.DocumentId));
        }
        var result = new Dictionary<string, string?>(StringComparer.Ordinal);
        // The documents reachable from each document, in breadth-first discovery order, are walked once per document;
        // an item's nearest carrier is the first of them that carries its claim.
        var reachable = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        foreach (var item in items)
        {
            if (!reachable.TryGetValue(item.DocumentId, out var order))
            {
                reachable[item.DocumentId] = order = Reachable(item.DocumentId, cites);
            }
            string? nearest = null;
            foreach (var document in order)
            {
                if (carriers.Contains((item.Claim, document)))
                {
                    nearest = document;
                    break;
                }
            }
            result[item.ItemId] = nearest;
        }
        return result;
    }

    /// <summary>The documents <paramref name="start"/> cites directly or through others, breadth first, cites in listed order.</summary>
    private static List<string> Reachable(string start, IReadOnlyDictionary<string, IReadOnlyList<string>> cites)
    {
        var order = new List<string>();
        var visited = new HashSet<string>(StringComparer.Ordinal) { start };
        var queue = new Queue<string>();
        queue.Enqueue(start);
        while (queue.Count > 0)
        {
            foreach (var cited in cites.GetValueOrDefault(queue.Dequeue()) ?? [])
            {
                if (visited.Add(cited))
                {
                    order.Add(cited);
                    queue.Enqueue(cited);
                }
            }
        }
        return order;
    }

    /// <summary>The appearances of one claim, in appearance order, with the first and the count of independent origins.</summary>
    public static (int IndependentOrigins, Appearance? First, IReadOnlyList<Appearance> Appearances) Analyse(
        string claim, IEnumerable<EvidenceItem> visible, IReadOnlyDictionary<string, IReadOnlyList<string>> cites)
    {
        var all = visible.ToList();
        var derived = DerivedFrom(all, cites);
        var appearances = all
            .Where(i => i.Claim == claim)
            .Order(EvidenceItem.AppearanceOrder)
            .Select(i => new Appearance(i.ItemId, i.DocumentId, i.Source, i.PublishedAt, derived[i.ItemId] is not null, derived[i.ItemId]))
            .ToList();
        return (appearances.Count(a => !a.Derivative), appearances.FirstOrDefault(), appearances);
    }
}
