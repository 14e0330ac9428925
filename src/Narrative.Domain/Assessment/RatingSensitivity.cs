namespace Narrative.Domain.Assessment;

/// <summary>One scored cell moved one step on the scale CC, C, N, I, II, and what the answer would then be.</summary>
public sealed record RatingMove(string To, string? Leading, string? Likelihood, bool ChangesLeader, bool ChangesLikelihood)
{
    /// <summary>False when the word was not recomputed for this move (past <see cref="RatingSensitivity.WordWork"/>).</summary>
    public bool LikelihoodChecked { get; init; } = true;
}

/// <summary>A scored cell (a claim's scored item, one hypothesis) and the effect of moving its rating one step either way.</summary>
public sealed record CellSensitivity(string Claim, string ItemId, string Hypothesis, string Rating, IReadOnlyList<RatingMove> Moves)
{
    public bool Fragile => Moves.Any(m => m.ChangesLeader || m.ChangesLikelihood);
}

/// <summary>
/// The rating sensitivity of an answer: how many scored cells were tried, how many are fragile (one step changes the
/// leader or the likelihood word), and the most fragile first (leader changes before word changes, then claim order).
/// </summary>
public sealed record RatingSensitivityResult(int Cells, int FragileCells, IReadOnlyList<CellSensitivity> MostFragile);

/// <summary>
/// ACH step 6 for the ratings themselves: the matrix rests on judgment calls, and a call that flips the answer when moved
/// one step is where a second look pays. Each scored cell (NA and unrated cells have no neighbours) is moved one step
/// toward consistent and one toward inconsistent; the leader is recomputed by the contract rules and the likelihood
/// word by the likelihood model (within <see cref="WordWork"/>). The robust-lead gate reuses the unchanged evidence's
/// flip set while the leader stays (the origins do not change, only one rating), and searches a new one when it changes.
/// </summary>
public static class RatingSensitivity
{
    public static readonly IReadOnlyList<string> Scale = ["CC", "C", "N", "I", "II"];

    /// <summary>How many fragile cells the answer lists.</summary>
    public const int Listed = 10;

    /// <summary>
    /// Item-visits the likelihood word checks may cost: each check rebuilds the evidence by origin (one visit per item).
    /// The leader is recomputed for every move from the score sums, which is cheap; the word is recomputed for the
    /// heaviest cells' moves while the budget lasts (at least 8, at most 400 moves) and the others report
    /// <c>LikelihoodChecked: false</c>, so a topic with thousands of items still answers quickly. The seeded topic's
    /// moves are all checked.
    /// </summary>
    public const int WordWork = 40_000;

    /// <summary>How many moves get the likelihood word check for a topic of <paramref name="items"/> items.</summary>
    public static int WordBudget(int items) => Math.Clamp(WordWork / Math.Max(1, items), 8, 400);

    public static RatingSensitivityResult Analyse(
        IReadOnlyList<Hypothesis> hypotheses, IReadOnlyList<EvidenceItem> items, IReadOnlyDictionary<string, string?> derivedFrom,
        EvidenceOrigins origins)
    {
        ArgumentNullException.ThrowIfNull(hypotheses);
        ArgumentNullException.ThrowIfNull(items);
        ArgumentNullException.ThrowIfNull(derivedFrom);
        ArgumentNullException.ThrowIfNull(origins);
        var leader = origins.Score.Leading;
        var scored = origins.Score.Scored;
        // The contract sums, in the order Score adds them, so that a move changes exactly one term.
        var plain = new double[hypotheses.Count];
        var weighted = new double[hypotheses.Count];
        var rated = new int[hypotheses.Count];
        foreach (var item in scored)
        {
            AchScoring.AddTerms(hypotheses, item, plain, weighted, rated);
        }
        var moves = new List<(EvidenceItem Item, int H, string From, string To)>();
        foreach (var item in scored)
        {
            for (var h = 0; h < hypotheses.Count; h++)
            {
                var at = item.Ratings.GetValueOrDefault(hypotheses[h].Id) is { } r ? IndexOf(r) : -1;
                if (at < 0)
                {
                    continue;
                }
                foreach (var step in new[] { -1, 1 })
                {
                    if (at + step >= 0 && at + step < Scale.Count)
                    {
                        moves.Add((item, h, Scale[at], Scale[at + step]));
                    }
                }
            }
        }
        // The word check goes to the heaviest cells first when the budget does not cover every move.
        var checkWord = moves
            .Select((m, i) => (m, i))
            .OrderByDescending(x => AchScoring.Weight(x.m.Item))
            .ThenBy(x => x.i)
            .Take(WordBudget(items.Count))
            .Select(x => x.i)
            .ToHashSet();
        FlipSet? flip = null;
        string? baseline = null;
        var index = items.Select((item, i) => (item.ItemId, i)).ToDictionary(x => x.ItemId, x => x.i, StringComparer.Ordinal);
        var results = new Dictionary<(string ItemId, int H), List<RatingMove>>();
        for (var i = 0; i < moves.Count; i++)
        {
            var (item, h, from, to) = moves[i];
            var w = AchScoring.Weight(item);
            var (p, q) = ((double[])plain.Clone(), (double[])weighted.Clone());
            var delta = AchScoring.InconsistencyPoints(to) - AchScoring.InconsistencyPoints(from);
            p[h] += delta;
            q[h] += delta * w;
            var lead = AchScoring.LeaderOf(AchScoring.Rank(hypotheses, p, q, rated, scored.Count));
            RatingMove move;
            if (checkWord.Contains(i))
            {
                flip ??= SensitivityAnalysis.FindFlipSet(origins);
                baseline ??= Likelihood.Judge(origins, flip).Likelihood;
                var ratings = new Dictionary<string, string>(item.Ratings, StringComparer.Ordinal) { [hypotheses[h].Id] = to };
                var moved = items.ToArray();
                moved[index[item.ItemId]] = item with { Ratings = ratings };
                var evidence = EvidenceOrigins.Build(hypotheses, moved, derivedFrom);
                var word = Likelihood.Judge(evidence, evidence.Score.Leading == leader ? flip : SensitivityAnalysis.FindFlipSet(evidence)).Likelihood;
                move = new RatingMove(to, lead, word, lead != leader, word != baseline);
            }
            else
            {
                move = new RatingMove(to, lead, null, lead != leader, false) { LikelihoodChecked = false };
            }
            if (!results.TryGetValue((item.ItemId, h), out var list))
            {
                results[(item.ItemId, h)] = list = [];
            }
            list.Add(move);
        }
        var cells = scored
            .SelectMany(item => hypotheses.Select((hyp, h) => (item, hyp, h)))
            .Where(x => results.ContainsKey((x.item.ItemId, x.h)))
            .Select(x => new CellSensitivity(x.item.Claim, x.item.ItemId, x.hyp.Id, x.item.Ratings[x.hyp.Id], results[(x.item.ItemId, x.h)]))
            .ToList();
        var fragile = cells
            .Select((c, i) => (c, i))
            .Where(x => x.c.Fragile)
            .OrderBy(x => x.c.Moves.Any(m => m.ChangesLeader) ? 0 : 1)
            .ThenBy(x => x.i)
            .Select(x => x.c)
            .ToList();
        return new RatingSensitivityResult(cells.Count, fragile.Count, [.. fragile.Take(Listed)]);
    }

    private static int IndexOf(string rating)
    {
        for (var i = 0; i < Scale.Count; i++)
        {
            if (Scale[i] == rating)
            {
                return i;
            }
        }
        return -1;
    }
}
