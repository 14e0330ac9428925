using CsCheck;
using Narrative.Domain.Assessment;
using Narrative.Domain.Provenance;

namespace Narrative.Domain.Tests.Assessment;

public class SensitivityTests
{
    private static readonly Hypothesis[] Hypotheses = [new("feigned", "Feigned", null), new("genuine", "Genuine", null)];

    private static EvidenceItem Item(string doc, string claim, string genuine, string feigned, int day = 1, string source = "src") =>
        new($"{doc}-{claim}", doc, source, "B", new DateOnly(2024, 1, day), day, "t", "report", claim, 3,
            new Dictionary<string, string> { ["genuine"] = genuine, ["feigned"] = feigned }, []);

    private static EvidenceOrigins Origins(IReadOnlyList<EvidenceItem> items, Dictionary<string, IReadOnlyList<string>>? cites = null) =>
        EvidenceOrigins.Build(Hypotheses, items, ProvenanceAnalysis.DerivedFrom(items, cites ?? []));

    [Fact]
    public void a_claim_whose_removal_changes_the_leader_is_a_linchpin()
    {
        // feigned leads 1.41 to 2.83 only because of "b" (II against genuine); without "a" it leads by more.
        var o = Origins([Item("d1", "a", "C", "I"), Item("d2", "b", "II", "C", 2)]);
        var claims = SensitivityAnalysis.Claims(o);

        Assert.Equal("feigned", o.Score.Leading);
        var a = claims.Single(c => c.Claim == "a");
        var b = claims.Single(c => c.Claim == "b");
        Assert.Equal(("feigned", false), (a.LeadingWithout, a.Linchpin));
        Assert.Equal(2 * Math.Sqrt(2), a.MarginWithout!.Value, 9);
        Assert.Equal(("genuine", true), (b.LeadingWithout, b.Linchpin));
        Assert.Equal(Math.Sqrt(2), b.MarginWithout!.Value, 9);
    }

    [Fact]
    public void removing_the_only_scored_claim_leaves_no_leader_and_counts_as_a_change()
    {
        var claim = Assert.Single(SensitivityAnalysis.Claims(Origins([Item("d1", "a", "C", "I")])));
        Assert.Equal((null, null, true), (claim.LeadingWithout, claim.MarginWithout, claim.Linchpin));
    }

    [Fact]
    public void removing_an_origin_removes_its_re_reports_too()
    {
        // d2 re-reports d1's "b"; d3 corroborates "b" independently. Removing d1 alone leaves d3's appearance of "b".
        var items = new[] { Item("d1", "b", "II", "C"), Item("d2", "b", "II", "C", 2), Item("d3", "b", "II", "C", 3), Item("d4", "a", "C", "I", 4) };
        var o = Origins(items, new() { ["d2"] = ["d1"] });

        Assert.Equal(["d1", "d3", "d4"], o.Origins.Select(x => x.DocumentId));
        Assert.Equal("feigned", o.Without(new HashSet<string> { "d1" }).Leading);
        // Had d2's re-report stayed, "b" would still count against genuine.
        Assert.Equal("genuine", o.Without(new HashSet<string> { "d1", "d3" }).Leading);
        var flip = SensitivityAnalysis.FindFlipSet(o)!;
        Assert.Equal(["d1", "d3"], flip.Origins);
        Assert.True(flip.Exact);
    }

    [Fact]
    public void the_flip_set_is_the_smallest_when_exact_and_never_smaller_than_that_when_bounded() =>
        Gen.Select(Gen.Int[0, 6], Gen.Int[0, 5], Gen.OneOf("C", "N", "I", "II"), Gen.OneOf("C", "N", "I", "II")).Array[1, 9].Sample(spec =>
        {
            var items = spec.Select((x, i) => Item($"d{x.Item1}", $"c{x.Item2}", x.Item3, x.Item4, day: i + 1)).ToList();
            var o = Origins(items);
            var exact = SensitivityAnalysis.FindFlipSet(o);
            var bounded = SensitivityAnalysis.FindFlipSet(o, budget: 0);
            if (o.Score.Leading is null)
            {
                return exact is null && bounded is null;
            }
            // Brute force: the size of the smallest set of roots whose removal loses the lead.
            var smallest = Enumerable.Range(1, (1 << o.Roots.Count) - 1)
                .Select(mask => o.Roots.Where((_, i) => (mask >> i & 1) == 1).ToHashSet())
                .Where(set => o.Without(set).Leading != o.Score.Leading)
                .Min(set => set.Count);
            var flips = o.Without(exact!.Origins.ToHashSet()).Leading != o.Score.Leading
                && o.Without(bounded!.Origins.ToHashSet()).Leading != o.Score.Leading;
            return flips && exact.Exact && exact.Origins.Count == smallest && bounded!.Origins.Count >= smallest
                && (!bounded.Exact || bounded.Origins.Count == smallest);
        }, iter: 400);

    [Fact]
    public void removing_origins_and_a_claim_leads_as_scoring_what_is_left_would() =>
        // Unit weights (grade C, credibility 3) keep the sums exact, so the incremental removal and a full rescore must agree.
        // "-" leaves the mixed cell unrated: what is left may drop below the coverage a leader needs.
        Gen.Select(Gen.Int[0, 5], Gen.Int[0, 4], Gen.OneOf("CC", "C", "N", "I", "II"), Gen.OneOf("C", "N", "I", "II"), Gen.OneOf("C", "N", "I", "-"))
            .Array[1, 10].Select(Gen.Int[0, 63], Gen.Int[-1, 4]).Sample((spec, mask, claim) =>
        {
            Hypothesis[] three = [.. Hypotheses, new("mixed", "Mixed", null)];
            var items = spec.Select((x, i) => new EvidenceItem(
                $"d{x.Item1}-c{x.Item2}-{i}", $"d{x.Item1}", "src", "C", new DateOnly(2024, 1, 1 + i), i, "t", "report", $"c{x.Item2}", 3,
                x.Item5 == "-" ? new Dictionary<string, string> { ["genuine"] = x.Item3, ["feigned"] = x.Item4 }
                    : new Dictionary<string, string> { ["genuine"] = x.Item3, ["feigned"] = x.Item4, ["mixed"] = x.Item5 }, [])).ToList();
            var o = EvidenceOrigins.Build(three, items, items.ToDictionary(i => i.ItemId, _ => (string?)null));
            var removed = o.Roots.Where((_, i) => (mask >> i & 1) == 1).ToHashSet();
            var gone = claim < 0 ? null : $"c{claim}";
            var rest = AchScoring.Score(three, items.Where(i => !removed.Contains(i.DocumentId) && i.Claim != gone).ToList());
            return o.Without(removed, gone) == Rescore.OutcomeOf(rest);
        }, iter: 2000);
}
