using CsCheck;
using Narrative.Domain.Assessment;
using Narrative.Domain.Provenance;

namespace Narrative.Domain.Tests.Assessment;

/// <summary>
/// EvidenceOrigins.Build numbers items and works on arrays for speed; these properties hold it to the plain definitions
/// (the score of the items, origins grouped by document, roots followed back through the carriers), written here the
/// slow way, on random topics with re-reports, mixed weights and the items in any order.
/// </summary>
public class OriginsTests
{
    private static readonly Hypothesis[] Hypotheses =
        [new("feigned", "Feigned", null), new("genuine", "Genuine", null), new("mixed", "Mixed", null)];

    private static readonly string[] Grades = ["A", "C", "E"];

    /// <summary>
    /// Up to 12 items over 5 documents and 4 claims, on days 1–3 (several items share a day, so the recorded position
    /// decides), each document citing at most one other. "-" leaves the mixed cell unrated.
    /// </summary>
    private static readonly Gen<(List<EvidenceItem> Items, Dictionary<string, IReadOnlyList<string>> Cites)> Topics =
        Gen.Select(
                Gen.Select(Gen.Int[0, 4], Gen.Int[0, 3], Gen.Int[1, 3], Gen.Int[1, 6]),
                Gen.Select(Gen.OneOf("CC", "C", "N", "I", "II"), Gen.OneOf("C", "N", "I", "II"), Gen.OneOf("C", "I", "NA", "-")))
            .Array[1, 12]
            .Select(Gen.Int[-1, 4].Array[5], Gen.Int[0, 1000])
            .Select((spec, cites, seed) =>
            {
                var items = spec.Select((x, i) => new EvidenceItem(
                    $"i{i}", $"d{x.Item1.Item1}", $"s{x.Item1.Item1 % 3}", Grades[x.Item1.Item1 % 3], new DateOnly(2024, 1, x.Item1.Item3), 100 - i,
                    "t", "report", $"c{x.Item1.Item2}", x.Item1.Item4,
                    x.Item2.Item3 == "-"
                        ? new Dictionary<string, string> { ["genuine"] = x.Item2.Item1, ["feigned"] = x.Item2.Item2 }
                        : new Dictionary<string, string> { ["genuine"] = x.Item2.Item1, ["feigned"] = x.Item2.Item2, ["mixed"] = x.Item2.Item3 },
                    [])).ToList();
                var shuffled = items.OrderBy(_ => new Random(seed).Next()).ToList();
                var graph = cites.Select((c, d) => (d, c))
                    .Where(x => x.c >= 0 && x.c != x.d)
                    .ToDictionary(x => $"d{x.d}", x => (IReadOnlyList<string>)[$"d{x.c}"]);
                return (shuffled, graph);
            });

    [Fact]
    public void evidence_by_origin_scores_groups_and_roots_the_items_as_the_definitions_do() =>
        Topics.Sample(topic =>
        {
            var (items, cites) = topic;
            var derivedFrom = ProvenanceAnalysis.DerivedFrom(items, cites);
            var o = EvidenceOrigins.Build(Hypotheses, items, derivedFrom);
            var score = AchScoring.Score(Hypotheses, items);
            var origins = ReferenceOrigins(items, derivedFrom, score);
            var roots = ReferenceRoots(items, derivedFrom).Values.Distinct().Order(StringComparer.Ordinal);
            return o.Score.Hypotheses.SequenceEqual(score.Hypotheses) && o.Score.Leading == score.Leading
                && o.Score.Scored.SequenceEqual(score.Scored)
                && o.Origins.Count == origins.Count
                && o.Origins.Zip(origins).All(p => p.First.DocumentId == p.Second.DocumentId && p.First.Source == p.Second.Source
                    && p.First.Reliability == p.Second.Reliability && p.First.Claims.SequenceEqual(p.Second.Claims)
                    && p.First.Informative == p.Second.Informative
                    && Hypotheses.All(h => p.First.Inconsistency[h.Id] == p.Second.Inconsistency[h.Id]))
                && o.Roots.SequenceEqual(roots);
        }, iter: 2000);

    [Fact]
    public void removing_origins_with_their_re_reports_leads_as_scoring_what_is_left_would() =>
        // Unit weights keep the sums exact, so the incremental removal and a full rescore must agree.
        Topics.Select(Gen.Int[0, 63], Gen.Int[-1, 3]).Sample((topic, mask, claim) =>
        {
            var items = topic.Items.Select(i => i with { Reliability = "C", Credibility = 3 }).ToList();
            var derivedFrom = ProvenanceAnalysis.DerivedFrom(items, topic.Cites);
            var o = EvidenceOrigins.Build(Hypotheses, items, derivedFrom);
            var rootOf = ReferenceRoots(items, derivedFrom);
            var removed = o.Roots.Where((_, i) => (mask >> i & 1) == 1).ToHashSet();
            var gone = claim < 0 ? null : $"c{claim}";
            var rest = AchScoring.Score(Hypotheses, items.Where(i => !removed.Contains(rootOf[i.ItemId]) && i.Claim != gone).ToList());
            return o.Without(removed, gone) == Rescore.OutcomeOf(rest);
        }, iter: 2000);

    /// <summary>Independent items grouped by document (in id order), each claim counted at its scored ratings and the item's own weight.</summary>
    private static List<EvidenceOrigin> ReferenceOrigins(
        IReadOnlyList<EvidenceItem> items, IReadOnlyDictionary<string, string?> derivedFrom, AchScore score)
    {
        var scored = score.Scored.ToDictionary(s => s.Claim, s => s.Ratings);
        return items
            .Where(i => derivedFrom[i.ItemId] is null)
            .GroupBy(i => i.DocumentId)
            .OrderBy(g => g.Key, StringComparer.Ordinal)
            .Select(g =>
            {
                var sums = Hypotheses.ToDictionary(h => h.Id, h => g.Sum(i =>
                    AchScoring.InconsistencyPoints(scored[i.Claim].GetValueOrDefault(h.Id)) * AchScoring.Weight(i)));
                var first = g.First();
                return new EvidenceOrigin(
                    g.Key, first.Source, first.Reliability, [.. g.Select(i => i.Claim).Distinct().Order(StringComparer.Ordinal)], sums,
                    Math.Round(sums.Values.Max() - sums.Values.Min(), 9) > 0);
            })
            .ToList();
    }

    /// <summary>
    /// Each item's root: its own document, or, following what it derives from back through the carrier of its claim
    /// (the claim's first appearance in that document), the last document reached before a cycle or a document
    /// without the claim.
    /// </summary>
    private static Dictionary<string, string> ReferenceRoots(IReadOnlyList<EvidenceItem> items, IReadOnlyDictionary<string, string?> derivedFrom)
    {
        var roots = new Dictionary<string, string>();
        foreach (var item in items)
        {
            var root = item.DocumentId;
            var seen = new HashSet<string> { item.DocumentId };
            var current = item;
            while (derivedFrom[current.ItemId] is { } document)
            {
                root = document;
                var carrier = items.Where(i => i.DocumentId == document && i.Claim == item.Claim).Order(EvidenceItem.AppearanceOrder).FirstOrDefault();
                if (!seen.Add(document) || carrier is null)
                {
                    break;
                }
                current = carrier;
            }
            roots[item.ItemId] = root;
        }
        return roots;
    }
}
