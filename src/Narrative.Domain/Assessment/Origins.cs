using System.Runtime.InteropServices;

namespace Narrative.Domain.Assessment;

/// <summary>
/// An independent origin: a document that carries at least one of the topic's claims non-derivatively (its document
/// cites no document carrying that claim). <paramref name="Claims"/> are those claims; <paramref name="Inconsistency"/>
/// is what they say against each hypothesis (the claims' scored ratings, weighted by this origin's own source grade and
/// credibility). <paramref name="Informative"/>: the origin tells the hypotheses apart (its inconsistency is not the
/// same for all of them), so it can move the answer.
/// </summary>
public sealed record EvidenceOrigin(
    string DocumentId, string Source, string Reliability, IReadOnlyList<string> Claims,
    IReadOnlyDictionary<string, double> Inconsistency, bool Informative);

/// <summary>
/// The leading hypothesis after removing some evidence and its margin. Leading is null when no scored claim is left,
/// when every score is 0, or when the top two tie on both scores (then only the ids would decide).
/// </summary>
public sealed record Outcome(string? Leading, double? Margin);

/// <summary>
/// The topic's evidence grouped by independent origin, with the ACH score and a fast way to ask "who leads without
/// these origins, or without this claim?". Every appearance has a root: its own document when it is an independent
/// appearance, else the root of the appearance it derives from (<c>derivedFrom</c>, followed back). Removing an origin
/// removes every appearance rooted in it, re-reports included: a repetition is no better than what it repeats.
/// </summary>
public sealed class EvidenceOrigins
{
    private readonly IReadOnlyList<Hypothesis> _hypotheses;
    private readonly string[] _hypothesisIds;
    // Each hypothesis's place in ordinal id order: the last tie-break of the ranking.
    private readonly int[] _idOrder;
    // Per claim (numbered in order of first appearance): its appearances in appearance order ([0] is the scored one),
    // with their roots as indices into Roots. Per root: the claims that have an appearance rooted there, the only
    // claims whose terms a removal can change. Indices keep Without cheap: the flip-set search calls it thousands
    // of times per assessment.
    private readonly Dictionary<string, int> _claimIndex;
    private readonly Appearance[][] _appearances;
    private readonly int[][] _claimsOfRoot;
    private readonly Dictionary<string, int> _rootIndex;
    private readonly double[] _plain;
    private readonly double[] _weighted;
    private readonly int[] _rated;

    /// <summary>
    /// One appearance of a claim: its root (index into Roots), its inconsistency points per hypothesis, its weight, and
    /// per hypothesis 1 when it is rated (coverage counts it) or 0.
    /// </summary>
    private readonly record struct Appearance(int Root, int[] Points, double Weight, int[] Rated);

    private EvidenceOrigins(
        IReadOnlyList<Hypothesis> hypotheses, AchScore score, IReadOnlyList<EvidenceOrigin> origins, string[] roots,
        Dictionary<string, int> rootIndex, Dictionary<string, int> claimIndex, Appearance[][] appearances, int[][] claimsOfRoot,
        (double[] Plain, double[] Weighted, int[] Rated) sums)
    {
        _hypotheses = hypotheses;
        _hypothesisIds = [.. hypotheses.Select(h => h.Id)];
        _idOrder = new int[hypotheses.Count];
        var byId = Enumerable.Range(0, hypotheses.Count).OrderBy(i => hypotheses[i].Id, StringComparer.Ordinal).ToArray();
        for (var rank = 0; rank < byId.Length; rank++)
        {
            _idOrder[byId[rank]] = rank;
        }
        Score = score;
        Origins = origins;
        Roots = roots;
        _rootIndex = rootIndex;
        _claimIndex = claimIndex;
        _appearances = appearances;
        _claimsOfRoot = claimsOfRoot;
        // The score's own sums, added in its order.
        (_plain, _weighted, _rated) = sums;
    }

    public IReadOnlyList<Hypothesis> Hypotheses => _hypotheses;

    /// <summary>The ACH score of all the evidence (the contract scores).</summary>
    public AchScore Score { get; }

    /// <summary>Independent origins in document id order (informative or not).</summary>
    public IReadOnlyList<EvidenceOrigin> Origins { get; }

    /// <summary>Every root an appearance leads back to, in ordinal order: what a flip set chooses from.</summary>
    public IReadOnlyList<string> Roots { get; }

    /// <summary>
    /// Groups <paramref name="items"/> (the topic's visible items) by origin. <paramref name="derivedFrom"/> gives, per
    /// item id, the document it derives from or null (<see cref="Provenance.ProvenanceAnalysis.DerivedFrom"/>).
    /// </summary>
    public static EvidenceOrigins Build(
        IReadOnlyList<Hypothesis> hypotheses, IReadOnlyList<EvidenceItem> items, IReadOnlyDictionary<string, string?> derivedFrom)
    {
        ArgumentNullException.ThrowIfNull(hypotheses);
        ArgumentNullException.ThrowIfNull(items);
        ArgumentNullException.ThrowIfNull(derivedFrom);
        // Every query builds this over the whole topic, so items are numbered once (claims, documents) and the rest
        // works on arrays of those numbers instead of hashing the same strings again at each step.
        var facts = new ItemFacts(items, derivedFrom);
        var order = facts.AppearanceOrder();
        var (plain, weighted, rated) = (new double[hypotheses.Count], new double[hypotheses.Count], new int[hypotheses.Count]);
        var score = AchScoring.Score(hypotheses, facts.FirstAppearances(order), plain, weighted, rated);
        var rootOf = facts.RootsOf(order);
        var (roots, rootIndex) = facts.Roots(rootOf);
        // Claims are numbered in order of first appearance: a removal adds and subtracts terms in that order, so every
        // path (the read model's and the replay's) sums the same terms in the same order.
        var appearances = new Appearance[facts.ClaimNames.Count][];
        var counts = new int[appearances.Length];
        foreach (var c in facts.Claim)
        {
            counts[c]++;
        }
        for (var c = 0; c < appearances.Length; c++)
        {
            appearances[c] = new Appearance[counts[c]];
            counts[c] = 0;
        }
        var claimsOfRoot = roots.Select(_ => new List<int>()).ToArray();
        // Items share a few hundred distinct ratings objects, so their points are computed once per object.
        var points = new Dictionary<IReadOnlyDictionary<string, string>, (int[] Points, int[] Rated)>(ReferenceEqualityComparer.Instance);
        foreach (var i in order)
        {
            var item = items[i];
            var c = facts.Claim[i];
            if (!points.TryGetValue(item.Ratings, out var p))
            {
                points[item.Ratings] = p = (
                    [.. hypotheses.Select(h => AchScoring.InconsistencyPoints(item.Ratings.GetValueOrDefault(h.Id)))],
                    [.. hypotheses.Select(h => Coverage.IsRated(item.Ratings, h.Id) ? 1 : 0)]);
            }
            var root = rootIndex[rootOf[i]];
            appearances[c][counts[c]++] = new Appearance(root, p.Points, facts.Weight[i], p.Rated);
            var claims = claimsOfRoot[root];
            if (claims.Count == 0 || claims[^1] != c)
            {
                claims.Add(c);
            }
        }
        // The scored appearance of each claim is its first ([0]); an origin counts the claim's scored points.
        var scoredPoints = appearances.Select(a => a[0].Points).ToArray();
        return new EvidenceOrigins(
            hypotheses, score, IndependentOrigins(hypotheses, items, facts, scoredPoints), roots, Numbered(roots), Numbered(facts.ClaimNames),
            appearances, [.. claimsOfRoot.Select(c => c.ToArray())], (plain, weighted, rated));
    }

    /// <summary>Each name's place in <paramref name="names"/>.</summary>
    private static Dictionary<string, int> Numbered(IReadOnlyList<string> names)
    {
        var index = new Dictionary<string, int>(names.Count, StringComparer.Ordinal);
        for (var i = 0; i < names.Count; i++)
        {
            index.Add(names[i], i);
        }
        return index;
    }

    /// <summary>
    /// The independent origins in document id order: per document, its items that derive from no other document, in
    /// the order given (the order their terms are summed in).
    /// </summary>
    private static List<EvidenceOrigin> IndependentOrigins(
        IReadOnlyList<Hypothesis> hypotheses, IReadOnlyList<EvidenceItem> items, ItemFacts facts, int[][] scoredPoints)
    {
        var independent = new List<int>?[facts.DocumentNames.Count];
        for (var i = 0; i < items.Count; i++)
        {
            if (facts.From[i] is null)
            {
                (independent[facts.Document[i]] ??= []).Add(i);
            }
        }
        var documents = Enumerable.Range(0, independent.Length).Where(d => independent[d] is not null).ToArray();
        Array.Sort(documents, (a, b) => string.CompareOrdinal(facts.DocumentNames[a], facts.DocumentNames[b]));
        // Each claim's place in ordinal order, so an origin's claims are sorted as numbers; seenIn marks the claims
        // already listed for the current origin.
        var byName = Enumerable.Range(0, facts.ClaimNames.Count).ToArray();
        Array.Sort(byName, (a, b) => string.CompareOrdinal(facts.ClaimNames[a], facts.ClaimNames[b]));
        var rank = new int[byName.Length];
        for (var r = 0; r < byName.Length; r++)
        {
            rank[byName[r]] = r;
        }
        var seenIn = new int[byName.Length];
        Array.Fill(seenIn, -1);
        var origins = new List<EvidenceOrigin>(documents.Length);
        var claims = new List<int>();
        foreach (var d in documents)
        {
            var list = independent[d]!;
            var sums = new double[hypotheses.Count];
            claims.Clear();
            foreach (var i in list)
            {
                // The claim's scored ratings (one rating per claim, as in the ACH matrix), at this origin's own weight.
                var claimPoints = scoredPoints[facts.Claim[i]];
                for (var h = 0; h < hypotheses.Count; h++)
                {
                    sums[h] += claimPoints[h] * facts.Weight[i];
                }
                if (seenIn[facts.Claim[i]] != d)
                {
                    seenIn[facts.Claim[i]] = d;
                    claims.Add(rank[facts.Claim[i]]);
                }
            }
            var informative = sums.Length > 0 && Math.Round(sums.Max() - sums.Min(), 9) > 0;
            var inconsistency = new Dictionary<string, double>(hypotheses.Count, StringComparer.Ordinal);
            for (var h = 0; h < hypotheses.Count; h++)
            {
                inconsistency.Add(hypotheses[h].Id, sums[h]);
            }
            claims.Sort();
            var sorted = new string[claims.Count];
            for (var k = 0; k < sorted.Length; k++)
            {
                sorted[k] = facts.ClaimNames[byName[claims[k]]];
            }
            var first = items[list[0]];
            origins.Add(new EvidenceOrigin(first.DocumentId, first.Source, first.Reliability, sorted, inconsistency, informative));
        }
        return origins;
    }

    /// <summary>Per item (by its index in the items given): its claim and document as numbers, its weight, and what it derives from.</summary>
    private sealed class ItemFacts
    {
        private readonly IReadOnlyList<EvidenceItem> _items;
        private readonly Dictionary<string, int> _documents = new(StringComparer.Ordinal);

        public ItemFacts(IReadOnlyList<EvidenceItem> items, IReadOnlyDictionary<string, string?> derivedFrom)
        {
            _items = items;
            (Claim, Document, Weight, From) = (new int[items.Count], new int[items.Count], new double[items.Count], new string?[items.Count]);
            var claims = new Dictionary<string, int>(StringComparer.Ordinal);
            for (var i = 0; i < items.Count; i++)
            {
                var item = items[i];
                // Numbered in the order given for now; FirstAppearances renumbers claims in order of first appearance.
                if (!claims.TryGetValue(item.Claim, out var c))
                {
                    claims.Add(item.Claim, c = ClaimNames.Count);
                    ClaimNames.Add(item.Claim);
                }
                Claim[i] = c;
                // A document's items are usually next to each other.
                Document[i] = i > 0 && string.Equals(item.DocumentId, items[i - 1].DocumentId, StringComparison.Ordinal)
                    ? Document[i - 1]
                    : DocumentOf(item.DocumentId);
                Weight[i] = AchScoring.Weight(item);
                From[i] = derivedFrom.GetValueOrDefault(item.ItemId);
                Derived |= From[i] is not null;
            }
        }

        public int[] Claim { get; }
        public int[] Document { get; }
        public double[] Weight { get; }
        public string?[] From { get; }
        public bool Derived { get; }
        public List<string> ClaimNames { get; } = [];

        /// <summary>Documents the items are in, then any they derive from outside them.</summary>
        public List<string> DocumentNames { get; } = [];

        private int DocumentOf(string id)
        {
            if (!_documents.TryGetValue(id, out var d))
            {
                _documents.Add(id, d = DocumentNames.Count);
                DocumentNames.Add(id);
            }
            return d;
        }

        /// <summary>Item indices in <see cref="EvidenceItem.AppearanceOrder"/> (ties, which distinct item ids never make, in the order given).</summary>
        public int[] AppearanceOrder()
        {
            var order = new int[_items.Count];
            var (days, positions) = (new int[_items.Count], new long[_items.Count]);
            for (var i = 0; i < order.Length; i++)
            {
                order[i] = i;
                (days[i], positions[i]) = (_items[i].PublishedAt.DayNumber, _items[i].Position);
            }
            Array.Sort(order, (a, b) =>
            {
                var c = days[a].CompareTo(days[b]);
                if (c == 0)
                {
                    c = positions[a].CompareTo(positions[b]);
                }
                if (c == 0)
                {
                    c = string.CompareOrdinal(_items[a].ItemId, _items[b].ItemId);
                }
                return c != 0 ? c : a.CompareTo(b);
            });
            return order;
        }

        /// <summary>
        /// Each claim's first appearance, in appearance order (<see cref="AchScoring.FirstAppearances"/>), with the
        /// claims renumbered in that order.
        /// </summary>
        public List<EvidenceItem> FirstAppearances(int[] order)
        {
            var renumbered = new int[ClaimNames.Count];
            Array.Fill(renumbered, -1);
            var names = new List<string>(ClaimNames.Count);
            var first = new List<EvidenceItem>(ClaimNames.Count);
            foreach (var i in order)
            {
                var c = Claim[i];
                if (renumbered[c] < 0)
                {
                    renumbered[c] = names.Count;
                    names.Add(ClaimNames[c]);
                    first.Add(_items[i]);
                }
            }
            for (var i = 0; i < Claim.Length; i++)
            {
                Claim[i] = renumbered[Claim[i]];
            }
            ClaimNames.Clear();
            ClaimNames.AddRange(names);
            return first;
        }

        /// <summary>
        /// Each item's root document. A chain of derivations is followed back through the carrier of the claim in the
        /// document derived from (its first appearance there); a cycle or a carrier outside the items ends it.
        /// </summary>
        public int[] RootsOf(int[] order)
        {
            var roots = (int[])Document.Clone();
            if (!Derived)
            {
                return roots;
            }
            var carriers = new Dictionary<long, int>(order.Length);
            foreach (var i in order)
            {
                carriers.TryAdd(Key(Document[i], Claim[i]), i);
            }
            var seen = new HashSet<int>();
            for (var i = 0; i < roots.Length; i++)
            {
                if (From[i] is null)
                {
                    continue;
                }
                seen.Clear();
                seen.Add(Document[i]);
                var current = i;
                while (From[current] is { } document)
                {
                    var d = DocumentOf(document);
                    roots[i] = d;
                    if (!seen.Add(d) || !carriers.TryGetValue(Key(d, Claim[i]), out current))
                    {
                        break;
                    }
                }
            }
            return roots;
        }

        private static long Key(int document, int claim) => (long)document << 32 | (uint)claim;

        /// <summary>The distinct roots in ordinal order, and each document's place among them (−1: not a root).</summary>
        public (string[] Roots, int[] Index) Roots(int[] rootOf)
        {
            var index = new int[DocumentNames.Count];
            foreach (var d in rootOf)
            {
                index[d] = 1;
            }
            var roots = Enumerable.Range(0, index.Length).Where(d => index[d] == 1).ToArray();
            Array.Sort(roots, (a, b) => string.CompareOrdinal(DocumentNames[a], DocumentNames[b]));
            Array.Fill(index, -1);
            for (var r = 0; r < roots.Length; r++)
            {
                index[roots[r]] = r;
            }
            return ([.. roots.Select(d => DocumentNames[d])], index);
        }
    }

    /// <summary>Who leads with every appearance rooted in <paramref name="roots"/> and every appearance of <paramref name="claim"/> gone.</summary>
    public Outcome Without(IReadOnlySet<string> roots, string? claim = null)
    {
        ArgumentNullException.ThrowIfNull(roots);
        var removed = new List<int>(roots.Count);
        foreach (var root in roots)
        {
            if (_rootIndex.TryGetValue(root, out var r))
            {
                removed.Add(r);
            }
        }
        var c = claim is not null && _claimIndex.TryGetValue(claim, out var i) ? i : -1;
        return new Removal(this).Without(CollectionsMarshal.AsSpan(removed), c);
    }

    /// <summary>A reusable evaluator of removals (indices into <see cref="Roots"/>); one per search, not shared between threads.</summary>
    internal Removal Removals() => new(this);

    internal sealed class Removal(EvidenceOrigins evidence)
    {
        private readonly bool[] _removed = new bool[evidence.Roots.Count];
        private readonly double[] _plain = new double[evidence._plain.Length];
        private readonly double[] _weighted = new double[evidence._weighted.Length];
        private readonly int[] _rated = new int[evidence._rated.Length];
        private readonly bool[] _canLead = new bool[evidence._rated.Length];
        private readonly List<int> _touched = [];

        /// <summary>Who leads with every appearance rooted in <paramref name="roots"/> and every appearance of claim index <paramref name="claim"/> (or none: -1) gone.</summary>
        public Outcome Without(ReadOnlySpan<int> roots, int claim = -1)
        {
            var e = evidence;
            e._plain.CopyTo(_plain, 0);
            e._weighted.CopyTo(_weighted, 0);
            e._rated.CopyTo(_rated, 0);
            _touched.Clear();
            foreach (var r in roots)
            {
                _removed[r] = true;
                _touched.AddRange(e._claimsOfRoot[r]);
            }
            if (claim >= 0)
            {
                _touched.Add(claim);
            }
            // Claims in index order, so the sums are built in the same order whatever order the roots came in.
            _touched.Sort();
            var left = e.Score.Scored.Count;
            var previous = -1;
            foreach (var c in _touched)
            {
                if (c == previous)
                {
                    continue;
                }
                previous = c;
                var list = e._appearances[c];
                if (!_removed[list[0].Root] && c != claim)
                {
                    continue;
                }
                Add(list[0], -1);
                var next = -1;
                for (var a = 1; c != claim && a < list.Length; a++)
                {
                    if (!_removed[list[a].Root])
                    {
                        next = a;
                        break;
                    }
                }
                if (next < 0)
                {
                    left--;
                    continue;
                }
                // The next remaining appearance becomes the scored one, with its own ratings (as the contract scores it).
                Add(list[next], +1);
            }
            foreach (var r in roots)
            {
                _removed[r] = false;
            }
            return left == 0 ? new Outcome(null, null) : Lead(left);
        }

        private void Add(Appearance appearance, int sign)
        {
            for (var h = 0; h < _plain.Length; h++)
            {
                var points = appearance.Points[h];
                if (sign < 0)
                {
                    _plain[h] -= points;
                    _weighted[h] -= points * appearance.Weight;
                    _rated[h] -= appearance.Rated[h];
                }
                else
                {
                    _plain[h] += points;
                    _weighted[h] += points * appearance.Weight;
                    _rated[h] += appearance.Rated[h];
                }
            }
        }

        /// <summary>
        /// The leader and margin of the sums over <paramref name="left"/> scored claims, ranked as
        /// <see cref="AchScoring.Rank"/> ranks them (those with the coverage to lead first), without building the ranking.
        /// </summary>
        private Outcome Lead(int left)
        {
            int best = -1, second = -1;
            var any = false;
            for (var h = 0; h < _plain.Length; h++)
            {
                _canLead[h] = Coverage.CanLead(Coverage.Of(_rated[h], left));
            }
            for (var h = 0; h < _plain.Length; h++)
            {
                any |= _plain[h] != 0;
                if (best < 0 || Before(h, best))
                {
                    (second, best) = (best, h);
                }
                else if (second < 0 || Before(h, second))
                {
                    second = h;
                }
            }
            if (!any || !_canLead[best])
            {
                return new Outcome(null, null);
            }
            if (second < 0)
            {
                return new Outcome(evidence._hypothesisIds[best], 0);
            }
            var margin = Math.Round(_weighted[second] - _weighted[best], 9);
            // A top tied on both scores is broken only by the ids, which are no evidence: nothing leads.
            return margin == 0 && _plain[best] == _plain[second] ? new Outcome(null, 0) : new Outcome(evidence._hypothesisIds[best], margin);
        }

        private bool Before(int a, int b)
        {
            if (_canLead[a] != _canLead[b])
            {
                return _canLead[a];
            }
            var c = AchScoring.TieKey(_weighted[a]).CompareTo(AchScoring.TieKey(_weighted[b]));
            if (c == 0)
            {
                c = _plain[a].CompareTo(_plain[b]);
            }
            return c != 0 ? c < 0 : evidence._idOrder[a] < evidence._idOrder[b];
        }
    }

    /// <summary>Second-best weighted score minus the leading one (0 with a single hypothesis).</summary>
    public static double Margin(IReadOnlyList<HypothesisScore> ranked)
    {
        ArgumentNullException.ThrowIfNull(ranked);
        return ranked.Count < 2 ? 0 : Math.Round(ranked[1].WeightedInconsistency - ranked[0].WeightedInconsistency, 9);
    }
}
