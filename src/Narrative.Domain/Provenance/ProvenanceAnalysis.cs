using Narrative.Domain.Assessment;

namespace Narrative.Domain.Provenance;

public sealed record Appearance(string ItemId, string DocumentId, string Source, DateOnly PublishedAt, bool Derivative, string? DerivedFrom);

public sealed record ProvenanceResult(
    string Claim, DateTimeOffset AsOf, DateTimeOffset KnownAt, long Position, int IndependentOrigins,
    Appearance? FirstAppearance, IReadOnlyList<Appearance> Appearances);

/// <summary>Provenance per docs/design.md, "Provenance" (contract).</summary>
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
        var items = visible as IReadOnlyList<EvidenceItem> ?? visible.ToList();
        // The claims each document carries among the visible appearances.
        var carried = new Dictionary<string, HashSet<string>>(StringComparer.Ordinal);
        HashSet<string>? claims = null;
        string? document = null;
        foreach (var i in items)
        {
            // Items come grouped by document, so the last document's set is tried first.
            if (i.DocumentId != document)
            {
                document = i.DocumentId;
                if (!carried.TryGetValue(document, out claims))
                {
                    carried[document] = claims = new HashSet<string>(StringComparer.Ordinal);
                }
            }
            claims!.Add(i.Claim);
        }
        var result = new Dictionary<string, string?>(items.Count, StringComparer.Ordinal);
        // The documents reachable from each document, in breadth-first discovery order, are walked once per document;
        // an item's nearest carrier is the first of them that carries its claim.
        var reachable = new Dictionary<string, List<(string Document, HashSet<string> Claims)>>(StringComparer.Ordinal);
        List<(string Document, HashSet<string> Claims)>? order = null;
        document = null;
        foreach (var item in items)
        {
            if (item.DocumentId != document)
            {
                document = item.DocumentId;
                if (!reachable.TryGetValue(document, out order))
                {
                    reachable[document] = order = [.. Reachable(document, cites).Where(carried.ContainsKey).Select(d => (d, carried[d]))];
                }
            }
            string? nearest = null;
            foreach (var (candidate, carries) in order!)
            {
                if (carries.Contains(item.Claim))
                {
                    nearest = candidate;
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
