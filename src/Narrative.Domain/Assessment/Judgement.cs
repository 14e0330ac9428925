namespace Narrative.Domain.Assessment;

/// <summary>
/// What the likelihood word rests on. <paramref name="Origins"/>: informative independent origins (documents), from
/// <paramref name="Sources"/> distinct sources, <paramref name="GoodSources"/> of them graded A or B.
/// <paramref name="Margin"/>: second-best minus leading weighted inconsistency. <paramref name="FlipSet"/>: how many
/// origins must go for the lead to be lost (<paramref name="FlipSetExact"/>: that is the minimum, not a bound).
/// <paramref name="Agreement"/>: the share of informative origins whose own evidence favours the leader.
/// <paramref name="ModelLikelihood"/>: the word of p before the gates; <paramref name="HeldBy"/>: the gates that
/// held the word below it (empty when none did).
/// </summary>
public sealed record LikelihoodBasis(
    int Origins, int Sources, int GoodSources, IReadOnlyList<string> OriginIds, IReadOnlyList<string> SourceIds,
    double? Margin, int? FlipSet, bool FlipSetExact, bool Robust, double Agreement, string ModelLikelihood,
    IReadOnlyList<string> HeldBy);

/// <summary>The likelihood word and p of the leading hypothesis, p of every hypothesis, and the separate confidence.</summary>
public sealed record Judgement(
    string Likelihood, double? Probability, IReadOnlyDictionary<string, double> Probabilities, string Confidence, LikelihoodBasis Basis);

/// <summary>
/// The likelihood model (see src/Narrative.Domain/README.md, "Likelihood"). Each informative origin o shifts the log-odds
/// of hypothesis h by −min(<see cref="OriginCap"/>, <see cref="LogOddsPerPoint"/> × (E_o(h) − min_g E_o(g))), where
/// E_o is the origin's weighted inconsistency; p is the softmax of the summed shifts, mixed with
/// <see cref="ModelDoubt"/> of the uniform distribution. The leading hypothesis is the ACH leader (contract); its p maps
/// to the ICD 203 bands, and a word above "likely" must pass the gates (origins, A/B sources, robustness).
/// </summary>
public static class Likelihood
{
    public const string Undetermined = "undetermined";

    /// <summary>One I point at weight √2 (a B source's credibility-3 item, the corpus's typical claim) halves the odds.</summary>
    public static readonly double LogOddsPerPoint = Math.Log(2) / Math.Sqrt(2);

    /// <summary>One origin moves the odds between two hypotheses by at most 4 to 1.</summary>
    public static readonly double OriginCap = Math.Log(4);

    /// <summary>The share of belief kept spread over all hypotheses: the ratings themselves may be wrong.</summary>
    public const double ModelDoubt = 0.05;

    /// <summary>"Very likely" and above need at least this many informative independent origins.</summary>
    public const int MinOrigins = 3;

    /// <summary>... from at least this many distinct sources graded A or B.</summary>
    public const int MinGoodSources = 2;

    private static readonly string[] Scale =
        ["almost no chance", "very unlikely", "unlikely", "roughly even chance", "likely", "very likely", "almost certain"];

    public static IReadOnlyDictionary<string, double> Probabilities(EvidenceOrigins evidence)
    {
        ArgumentNullException.ThrowIfNull(evidence);
        var hypotheses = evidence.Hypotheses;
        if (hypotheses.Count == 0)
        {
            return new Dictionary<string, double>();
        }
        var logOdds = new double[hypotheses.Count];
        foreach (var o in evidence.Origins.Where(o => o.Informative))
        {
            var best = hypotheses.Min(h => o.Inconsistency[h.Id]);
            for (var i = 0; i < hypotheses.Count; i++)
            {
                logOdds[i] -= Math.Min(OriginCap, LogOddsPerPoint * (o.Inconsistency[hypotheses[i].Id] - best));
            }
        }
        // Shift by the maximum so exp never underflows to 0/0.
        var max = logOdds.Max();
        var exps = logOdds.Select(l => Math.Exp(l - max)).ToArray();
        var total = exps.Sum();
        return hypotheses
            .Select((h, i) => (h.Id, p: (1 - ModelDoubt) * exps[i] / total + ModelDoubt / hypotheses.Count))
            .ToDictionary(x => x.Id, x => x.p, StringComparer.Ordinal);
    }

    /// <summary>ICD 203 bands, lower bounds inclusive: [0, .05) almost no chance … (.55, .80) likely, [.80, .95) very likely, [.95, 1] almost certain.</summary>
    public static string Word(double p) => p switch
    {
        < 0.05 => "almost no chance",
        < 0.20 => "very unlikely",
        < 0.45 => "unlikely",
        <= 0.55 => "roughly even chance",
        < 0.80 => "likely",
        < 0.95 => "very likely",
        _ => "almost certain",
    };

    /// <summary>The position of a word on the ICD 203 scale (0 = almost no chance), −1 for undetermined.</summary>
    public static int Strength(string word) => Array.IndexOf(Scale, word);

    /// <summary>The judgement of the evidence: likelihood with its basis, and confidence, from the same origins.</summary>
    public static Judgement Judge(EvidenceOrigins evidence, FlipSet? flipSet)
    {
        ArgumentNullException.ThrowIfNull(evidence);
        var informative = evidence.Origins.Where(o => o.Informative).ToList();
        var sources = informative.Select(o => o.Source).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
        var good = informative.Where(o => o.Reliability is "A" or "B").Select(o => o.Source).Distinct(StringComparer.Ordinal).Count();
        var leader = evidence.Score.Leading;
        var probabilities = Probabilities(evidence);
        if (leader is null)
        {
            var none = new LikelihoodBasis(0, 0, 0, [], [], null, null, false, false, 0, Undetermined, []);
            return new Judgement(Undetermined, null, probabilities, Confidence.Low, none);
        }
        var p = probabilities[leader];
        var robust = flipSet is { Origins.Count: >= 2 };
        var agreement = informative.Count == 0 ? 0
            : informative.Count(o => Math.Round(o.Inconsistency[leader] - o.Inconsistency.Values.Min(), 9) == 0) / (double)informative.Count;
        var gates = new List<string>();
        if (sources.Count < 2) gates.Add("a single source");
        if (informative.Count < MinOrigins) gates.Add($"fewer than {MinOrigins} independent origins");
        if (good < MinGoodSources) gates.Add($"fewer than {MinGoodSources} sources graded A or B");
        if (!robust) gates.Add("the lead does not survive the loss of one origin");
        var modelWord = Word(p);
        var held = Strength(modelWord) > Strength("likely") && gates.Count > 0;
        var basis = new LikelihoodBasis(
            informative.Count, sources.Count, good, [.. informative.Select(o => o.DocumentId)], sources,
            EvidenceOrigins.Margin(evidence.Score.Hypotheses), flipSet?.Origins.Count, flipSet?.Exact ?? false, robust,
            Math.Round(agreement, 9), modelWord, held ? gates : []);
        return new Judgement(held ? "likely" : modelWord, p, probabilities, Confidence.Assess(basis), basis);
    }
}

/// <summary>
/// Confidence (low / moderate / high): how much the evidence base can bear, on its own axis (ICD 203), from the same
/// origins as the likelihood but never from p. High: at least 4 informative independent origins from at least 3
/// sources, 2 of them graded A or B, three in four origins favouring the leader, and a lead that survives the loss of
/// any one origin. Moderate: at least 2 origins from 2 sources, half of them favouring the leader. Otherwise low.
/// </summary>
public static class Confidence
{
    public const string Low = "low";
    public const string Moderate = "moderate";
    public const string High = "high";

    public static string Assess(LikelihoodBasis basis)
    {
        ArgumentNullException.ThrowIfNull(basis);
        if (basis.Origins >= 4 && basis.Sources >= 3 && basis.GoodSources >= 2 && basis.Agreement >= 0.75 && basis.Robust)
        {
            return High;
        }
        return basis.Origins >= 2 && basis.Sources >= 2 && basis.Agreement >= 0.5 ? Moderate : Low;
    }
}
