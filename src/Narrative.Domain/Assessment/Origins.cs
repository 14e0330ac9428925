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
        Dictionary<string, int> rootIndex, Dictionary<string, int> claimIndex, Appearance[][] appearances, int[][] claimsOfRoot)
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
        (_plain, _weighted, _rated) = (new double[hypotheses.Count], new double[hypotheses.Count], new int[hypotheses.Count]);
        foreach (var item in score.Scored)
        {
            AchScoring.AddTerms(hypotheses, item, _plain, _weighted, _rated);
        }
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
        var score = AchScoring.Score(hypotheses, items);
        var sorted = items.Order(EvidenceItem.AppearanceOrder).ToList();
        var rootOf = RootsOf(sorted, derivedFrom);
        var roots = rootOf.Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToArray();
        var rootIndex = new Dictionary<string, int>(roots.Length, StringComparer.Ordinal);
        foreach (var root in roots)
        {
            rootIndex.Add(root, rootIndex.Count);
        }
        // Claims are numbered in order of first appearance: a removal adds and subtracts terms in that order, so every
        // path (the read model's and the replay's) sums the same terms in the same order.
        var claimIndex = new Dictionary<string, int>(StringComparer.Ordinal);
        var appearances = new List<List<Appearance>>();
        var claimsOfRoot = roots.Select(_ => new List<int>()).ToArray();
        // Items share a few hundred distinct ratings objects, so their points are computed once per object.
        var points = new Dictionary<IReadOnlyDictionary<string, string>, (int[] Points, int[] Rated)>(ReferenceEqualityComparer.Instance);
        for (var i = 0; i < sorted.Count; i++)
        {
            var item = sorted[i];
            if (!claimIndex.TryGetValue(item.Claim, out var c))
            {
                claimIndex[item.Claim] = c = appearances.Count;
                appearances.Add([]);
            }
            if (!points.TryGetValue(item.Ratings, out var p))
            {
                points[item.Ratings] = p = (
                    [.. hypotheses.Select(h => AchScoring.InconsistencyPoints(item.Ratings.GetValueOrDefault(h.Id)))],
                    [.. hypotheses.Select(h => Coverage.IsRated(item.Ratings, h.Id) ? 1 : 0)]);
            }
            var root = rootIndex[rootOf[i]];
            appearances[c].Add(new Appearance(root, p.Points, AchScoring.Weight(item), p.Rated));
            var claims = claimsOfRoot[root];
            if (claims.Count == 0 || claims[^1] != c)
            {
                claims.Add(c);
            }
        }
        var scoredRatings = score.Scored.ToDictionary(s => s.Claim, s => s.Ratings, StringComparer.Ordinal);
        var origins = items
            .Where(i => derivedFrom.GetValueOrDefault(i.ItemId) is null)
            .GroupBy(i => i.DocumentId, StringComparer.Ordinal)
            .OrderBy(g => g.Key, StringComparer.Ordinal)
            .Select(g => Origin(hypotheses, [.. g], scoredRatings))
            .ToList();
        return new EvidenceOrigins(
            hypotheses, score, origins, roots, rootIndex, claimIndex, [.. appearances.Select(a => a.ToArray())],
            [.. claimsOfRoot.Select(c => c.ToArray())]);
    }

    private static EvidenceOrigin Origin(
        IReadOnlyList<Hypothesis> hypotheses, IReadOnlyList<EvidenceItem> independent,
        IReadOnlyDictionary<string, IReadOnlyDictionary<string, string>> scoredRatings)
    {
        var sums = new double[hypotheses.Count];
        foreach (var item in independent)
        {
            // The claim's scored ratings (one rating per claim, as in the ACH matrix), at this origin's own weight.
            var ratings = scoredRatings[item.Claim];
            var weight = AchScoring.Weight(item);
            for (var h = 0; h < hypotheses.Count; h++)
            {
                sums[h] += AchScoring.InconsistencyPoints(ratings.GetValueOrDefault(hypotheses[h].Id)) * weight;
            }
        }
        var informative = sums.Length > 0 && Math.Round(sums.Max() - sums.Min(), 9) > 0;
        var first = independent[0];
        return new EvidenceOrigin(
            first.DocumentId, first.Source, first.Reliability,
            [.. independent.Select(i => i.Claim).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal)],
            hypotheses.Select((h, i) => (h.Id, sums[i])).ToDictionary(x => x.Id, x => x.Item2, StringComparer.Ordinal),
            informative);
    }

    /// <summary>
    /// Each item's root document, in the order of <paramref name="sorted"/> (the items in appearance order). A chain of
    /// derivations is followed back; a cycle or a carrier outside the topic ends it.
    /// </summary>
    private static string[] RootsOf(List<EvidenceItem> sorted, IReadOnlyDictionary<string, string?> derivedFrom)
    {
        var from = new string?[sorted.Count];
        var derived = false;
        for (var i = 0; i < sorted.Count; i++)
        {
            from[i] = derivedFrom.GetValueOrDefault(sorted[i].ItemId);
            derived |= from[i] is not null;
        }
        var roots = new string[sorted.Count];
        // The carrier of a claim in a document is its first appearance there.
        var carriers = derived ? new Dictionary<(string, string), int>(sorted.Count) : null;
        for (var i = 0; i < sorted.Count; i++)
        {
            roots[i] = sorted[i].DocumentId;
            carriers?.TryAdd((sorted[i].DocumentId, sorted[i].Claim), i);
        }
        for (var i = 0; carriers is not null && i < sorted.Count; i++)
        {
            if (from[i] is null)
            {
                continue;
            }
            var claim = sorted[i].Claim;
            var seen = new HashSet<string>(StringComparer.Ordinal) { sorted[i].DocumentId };
            var current = i;
            while (from[current] is { } document)
            {
                roots[i] = document;
                if (!seen.Add(document) || !carriers.TryGetValue((document, claim), out current))
                {
                    break;
                }
            }
        }
        return roots;
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
