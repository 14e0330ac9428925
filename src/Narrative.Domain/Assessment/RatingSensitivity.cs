namespace Narrative.Domain.Assessment;

/// <summary>One scored cell moved one step on the scale CC, C, N, I, II, and what the answer would then be.</summary>
public sealed record RatingMove(string To, string? Leading, string Likelihood, bool ChangesLeader, bool ChangesLikelihood);

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
/// word by the likelihood model. The robust-lead gate reuses the unchanged evidence's flip set while the leader stays
/// (the origins do not change, only one rating), and searches a new one when the leader changes.
/// </summary>
public static class RatingSensitivity
{
    public static readonly IReadOnlyList<string> Scale = ["CC", "C", "N", "I", "II"];

    /// <summary>How many fragile cells the answer lists.</summary>
    public const int Listed = 10;

    public static RatingSensitivityResult Analyse(
        IReadOnlyList<Hypothesis> hypotheses, IReadOnlyList<EvidenceItem> items, IReadOnlyDictionary<string, string?> derivedFrom,
        EvidenceOrigins origins)
    {
        ArgumentNullException.ThrowIfNull(hypotheses);
        ArgumentNullException.ThrowIfNull(items);
        ArgumentNullException.ThrowIfNull(derivedFrom);
        ArgumentNullException.ThrowIfNull(origins);
        var flip = SensitivityAnalysis.FindFlipSet(origins);
        var baseline = Likelihood.Judge(origins, flip);
        var leader = origins.Score.Leading;
        var index = items.Select((item, i) => (item.ItemId, i)).ToDictionary(x => x.ItemId, x => x.i, StringComparer.Ordinal);
        var cells = new List<CellSensitivity>();
        foreach (var scored in origins.Score.Scored)
        {
            foreach (var h in hypotheses)
            {
                var rating = scored.Ratings.GetValueOrDefault(h.Id);
                var at = rating is null ? -1 : IndexOf(rating);
                if (at < 0)
                {
                    continue;
                }
                var moves = new List<RatingMove>(2);
                foreach (var step in new[] { -1, 1 })
                {
                    if (at + step < 0 || at + step >= Scale.Count)
                    {
                        continue;
                    }
                    var to = Scale[at + step];
                    var ratings = new Dictionary<string, string>(scored.Ratings, StringComparer.Ordinal) { [h.Id] = to };
                    var moved = items.ToArray();
                    moved[index[scored.ItemId]] = scored with { Ratings = ratings };
                    var evidence = EvidenceOrigins.Build(hypotheses, moved, derivedFrom);
                    var lead = evidence.Score.Leading;
                    var judgement = Likelihood.Judge(evidence, lead == leader ? flip : SensitivityAnalysis.FindFlipSet(evidence));
                    moves.Add(new RatingMove(to, lead, judgement.Likelihood, lead != leader, judgement.Likelihood != baseline.Likelihood));
                }
                cells.Add(new CellSensitivity(scored.Claim, scored.ItemId, h.Id, rating!, moves));
            }
        }
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
