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
    // Per claim: its appearances in appearance order, with their roots. [0] is the scored (first) appearance.
    private readonly Dictionary<string, List<(EvidenceItem Item, string Root)>> _appearances;
    // Per root: the claims that have an appearance rooted there (the only claims whose terms a removal can change).
    private readonly Dictionary<string, List<string>> _claimsByRoot;
    private readonly double[] _plain;
    private readonly double[] _weighted;
    private readonly int[] _rated;

    private EvidenceOrigins(
        IReadOnlyList<Hypothesis> hypotheses, AchScore score, IReadOnlyList<EvidenceOrigin> origins,
        Dictionary<string, List<(EvidenceItem, string)>> appearances, Dictionary<string, List<string>> claimsByRoot)
    {
        _hypotheses = hypotheses;
        Score = score;
        Origins = origins;
        _appearances = appearances;
        _claimsByRoot = claimsByRoot;
        Roots = [.. claimsByRoot.Keys.Order(StringComparer.Ordinal)];
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
        var roots = RootsOf(items, derivedFrom);
        var appearances = new Dictionary<string, List<(EvidenceItem, string)>>(StringComparer.Ordinal);
        var claimsByRoot = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        foreach (var item in items.Order(EvidenceItem.AppearanceOrder))
        {
            var root = roots[item.ItemId];
            if (!appearances.TryGetValue(item.Claim, out var list))
            {
                appearances[item.Claim] = list = [];
            }
            list.Add((item, root));
            if (!claimsByRoot.TryGetValue(root, out var claims))
            {
                claimsByRoot[root] = claims = [];
            }
            if (claims.Count == 0 || claims[^1] != item.Claim)
            {
                claims.Add(item.Claim);
            }
        }
        var scoredRatings = score.Scored.ToDictionary(s => s.Claim, s => s.Ratings, StringComparer.Ordinal);
        var origins = items
            .Where(i => derivedFrom.GetValueOrDefault(i.ItemId) is null)
            .GroupBy(i => i.DocumentId, StringComparer.Ordinal)
            .OrderBy(g => g.Key, StringComparer.Ordinal)
            .Select(g => Origin(hypotheses, [.. g], scoredRatings))
            .ToList();
        return new EvidenceOrigins(hypotheses, score, origins, appearances, claimsByRoot);
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

    /// <summary>Item id → root document. A chain of derivations is followed back; a cycle or a carrier outside the topic ends it.</summary>
    private static Dictionary<string, string> RootsOf(IReadOnlyList<EvidenceItem> items, IReadOnlyDictionary<string, string?> derivedFrom)
    {
        var byDocumentAndClaim = new Dictionary<(string, string), EvidenceItem>();
        foreach (var i in items.Order(EvidenceItem.AppearanceOrder))
        {
            byDocumentAndClaim.TryAdd((i.DocumentId, i.Claim), i);
        }
        var roots = new Dictionary<string, string>(items.Count, StringComparer.Ordinal);
        foreach (var item in items)
        {
            var current = item;
            var seen = new HashSet<string>(StringComparer.Ordinal) { current.DocumentId };
            var root = current.DocumentId;
            while (derivedFrom.GetValueOrDefault(current.ItemId) is { } from)
            {
                root = from;
                if (!seen.Add(from) || !byDocumentAndClaim.TryGetValue((from, item.Claim), out var carrier))
                {
                    break;
                }
                current = carrier;
            }
            roots[item.ItemId] = root;
        }
        return roots;
    }

    /// <summary>Who leads with every appearance rooted in <paramref name="roots"/> and every appearance of <paramref name="claim"/> gone.</summary>
    public Outcome Without(IReadOnlySet<string> roots, string? claim = null)
    {
        ArgumentNullException.ThrowIfNull(roots);
        var plain = (double[])_plain.Clone();
        var weighted = (double[])_weighted.Clone();
        var rated = (int[])_rated.Clone();
        var left = Score.Scored.Count;
        var touched = new HashSet<string>(StringComparer.Ordinal);
        foreach (var root in roots)
        {
            touched.UnionWith(_claimsByRoot.GetValueOrDefault(root) ?? []);
        }
        if (claim is not null && _appearances.ContainsKey(claim))
        {
            touched.Add(claim);
        }
        // Sorted so the sums are built in the same order on every path (the read model's and the replay's).
        foreach (var c in touched.Order(StringComparer.Ordinal))
        {
            var list = _appearances[c];
            if (!roots.Contains(list[0].Root) && c != claim)
            {
                continue;
            }
            Subtract(list[0].Item, plain, weighted, rated);
            var next = c == claim ? null : list.FirstOrDefault(a => !roots.Contains(a.Root)).Item;
            if (next is null)
            {
                left--;
                continue;
            }
            // The next remaining appearance becomes the scored one, with its own ratings (as the contract scores it).
            AchScoring.AddTerms(_hypotheses, next, plain, weighted, rated);
        }
        var ranked = AchScoring.Rank(_hypotheses, plain, weighted, rated, left);
        if (left == 0 || AchScoring.LeaderOf(ranked) is null)
        {
            return new Outcome(null, null);
        }
        // A top tied on both scores is broken only by the ids, which are no evidence: nothing leads.
        var tied = ranked.Count > 1 && Margin(ranked) == 0 && ranked[0].Inconsistency == ranked[1].Inconsistency;
        return tied ? new Outcome(null, 0) : new Outcome(ranked[0].Id, Margin(ranked));
    }

    /// <summary>Second-best weighted score minus the leading one (0 with a single hypothesis).</summary>
    public static double Margin(IReadOnlyList<HypothesisScore> ranked)
    {
        ArgumentNullException.ThrowIfNull(ranked);
        return ranked.Count < 2 ? 0 : Math.Round(ranked[1].WeightedInconsistency - ranked[0].WeightedInconsistency, 9);
    }

    private void Subtract(EvidenceItem item, double[] plain, double[] weighted, int[] rated)
    {
        var weight = AchScoring.Weight(item);
        for (var h = 0; h < _hypotheses.Count; h++)
        {
            var points = AchScoring.InconsistencyPoints(item.Ratings.GetValueOrDefault(_hypotheses[h].Id));
            plain[h] -= points;
            weighted[h] -= points * weight;
            if (Coverage.IsRated(item.Ratings, _hypotheses[h].Id))
            {
                rated[h]--;
            }
        }
    }
}
