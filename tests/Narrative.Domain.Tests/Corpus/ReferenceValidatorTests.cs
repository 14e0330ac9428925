using System.Collections.Immutable;
using Narrative.Domain.Corpus;

namespace Narrative.Domain.Tests.Corpus;

public class ReferenceValidatorTests
{
    private static TopicInput Topic() => new("ceasefire", "Putin's ceasefire stance", new PeriodInput("2023-12-01", "2024-05-31"),
        [new HypothesisInput("genuine", "Genuine", null), new HypothesisInput("feigned", "Feigned", "Timed to aid debates")]);

    [Fact]
    public void valid_topic_opens_with_its_period_and_hypotheses()
    {
        var result = TopicValidator.Validate(Topic());
        Assert.True(result.IsValid);
        Assert.Equal(new DateOnly(2023, 12, 1), result.Value!.PeriodStart);
        Assert.Equal(new DateOnly(2024, 5, 31), result.Value.PeriodEnd);
        Assert.Equal(["genuine", "feigned"], result.Value.Hypotheses.Select(h => h.Id));
    }

    [Fact]
    public void topic_rules_each_report_their_field()
    {
        Assert.Contains(TopicValidator.Validate(Topic() with { Id = "Cease Fire" }).Errors, e => e is { Field: "id", Code: "slug" });
        Assert.Contains(TopicValidator.Validate(Topic() with { Title = "" }).Errors, e => e is { Field: "title", Code: "required" });
        Assert.Contains(TopicValidator.Validate(Topic() with { Period = new PeriodInput("2024-06-01", "2024-05-31") }).Errors,
            e => e is { Field: "period.end", Code: "period_order" });
        Assert.Contains(TopicValidator.Validate(Topic() with { Period = new PeriodInput("2024-02-31", "2024-05-31") }).Errors,
            e => e is { Field: "period.start", Code: "invalid_date" });
        Assert.Contains(TopicValidator.Validate(Topic() with { Hypotheses = [new HypothesisInput("only", "Only", null)] }).Errors,
            e => e is { Field: "hypotheses", Code: "too_few_hypotheses" });
        Assert.Contains(TopicValidator.Validate(Topic() with { Hypotheses = [new("a", "A", null), new("a", "A again", null)] }).Errors,
            e => e is { Field: "hypotheses[1].id", Code: "duplicate_hypothesis" });
        Assert.Contains(TopicValidator.Validate(Topic() with { Hypotheses = [new("a", "A", null), new("B", "B", null)] }).Errors,
            e => e is { Field: "hypotheses[1].id", Code: "slug" });
    }

    [Fact]
    public void source_needs_a_slug_name_kind_and_grade_a_to_f()
    {
        var ok = SourceValidator.Validate(new SourceInput("nyt", "New York Times", "newspaper", "B", null));
        Assert.Equal("B", ok.Value!.Reliability);
        Assert.Contains(SourceValidator.Validate(new SourceInput("nyt", "NYT", "newspaper", "G", null)).Errors,
            e => e is { Field: "reliability", Code: "invalid_reliability" });
        Assert.Contains(SourceValidator.Validate(new SourceInput("nyt", "NYT", "newspaper", "b", null)).Errors,
            e => e is { Field: "reliability", Code: "invalid_reliability" });
        Assert.Contains(SourceValidator.Validate(new SourceInput("N Y T", null, "newspaper", "B", null)).Errors,
            e => e is { Field: "id", Code: "slug" });
        Assert.Contains(SourceValidator.Validate(new SourceInput("nyt", null, "newspaper", "B", null)).Errors,
            e => e is { Field: "name", Code: "required" });
    }

    [Fact]
    public void context_period_checks_category_order_and_decision_date()
    {
        var ok = ContextPeriodValidator.Validate(new ContextPeriodInput("us-aid", "US supplemental", "aid-debate", "2023-10-20", "2024-04-24", "2024-04-24"));
        Assert.Equal(new DateOnly(2024, 4, 24), ok.Value!.DecisionAt);
        Assert.Contains(ContextPeriodValidator.Validate(new ContextPeriodInput("us-aid", "US", "Aid Debate", "2023-10-20", "2024-04-24", null)).Errors,
            e => e is { Field: "category", Code: "slug" });
        Assert.Contains(ContextPeriodValidator.Validate(new ContextPeriodInput("us-aid", "US", "aid-debate", "2024-10-20", "2024-04-24", null)).Errors,
            e => e is { Field: "end", Code: "period_order" });
        Assert.Contains(ContextPeriodValidator.Validate(new ContextPeriodInput("us-aid", "US", "aid-debate", "2023-10-20", "2024-04-24", "soon")).Errors,
            e => e is { Field: "decisionAt", Code: "invalid_date" });
    }

    private static readonly KnownReferences Known = KnownReferences.Empty with
    {
        Topics = ImmutableDictionary<string, KnownTopic>.Empty.Add("ceasefire",
            new KnownTopic(ImmutableHashSet.Create("genuine", "feigned"), new DateOnly(2023, 12, 1), new DateOnly(2024, 5, 31))),
        Items = ImmutableDictionary<string, KnownItem>.Empty
            .Add("a", new KnownItem("doc", "ceasefire"))
            .Add("b", new KnownItem("doc", "ceasefire"))
            .Add("gone", new KnownItem("doc", "ceasefire", Retracted: true))
            .Add("other", new KnownItem("doc-2", "ceasefire")),
    };

    [Fact]
    public void correction_produces_a_rerating_and_a_retraction()
    {
        var result = CorrectionValidator.Validate("doc", new CorrectionInput("New sourcing", [
            new CorrectionItemInput("a", new Dictionary<string, string> { ["genuine"] = "I", ["feigned"] = "C" }, 2, null),
            new CorrectionItemInput("b", null, null, true),
        ]), Known);

        Assert.True(result.IsValid, string.Join("; ", result.Errors));
        var rerated = Assert.IsType<ItemRerated>(result.Value![0]);
        Assert.Equal(("a", "doc", "ceasefire", 2, "I"), (rerated.ItemId, rerated.DocumentId, rerated.Topic, rerated.Credibility, rerated.Ratings!["genuine"]));
        var retracted = Assert.IsType<ItemRetracted>(result.Value[1]);
        Assert.Equal(("b", "New sourcing"), (retracted.ItemId, retracted.Reason));
    }

    [Theory]
    [InlineData("other", "item_not_in_document")]
    [InlineData("missing", "unknown_item")]
    [InlineData("gone", "item_retracted")]
    public void correction_items_must_be_live_items_of_the_document(string id, string code)
    {
        var result = CorrectionValidator.Validate("doc", new CorrectionInput("r", [new CorrectionItemInput(id, null, 2, null)]), Known);
        Assert.Contains(result.Errors, e => e.Field == "items[0].id" && e.Code == code);
    }

    [Fact]
    public void correction_rules_each_report_their_field()
    {
        static IReadOnlyList<FieldError> Errors(CorrectionInput c) => CorrectionValidator.Validate("doc", c, Known).Errors;
        Assert.Contains(Errors(new CorrectionInput(null, [new CorrectionItemInput("a", null, 2, null)])), e => e is { Field: "reason", Code: "required" });
        Assert.Contains(Errors(new CorrectionInput("r", [])), e => e is { Field: "items", Code: "required" });
        Assert.Contains(Errors(new CorrectionInput("r", [new CorrectionItemInput("a", null, 8, null)])), e => e is { Field: "items[0].credibility", Code: "credibility_range" });
        Assert.Contains(Errors(new CorrectionInput("r", [new CorrectionItemInput("a", null, null, null)])), e => e is { Field: "items[0]", Code: "empty_correction" });
        Assert.Contains(Errors(new CorrectionInput("r", [new CorrectionItemInput("a", null, 2, true)])), e => e is { Field: "items[0].retracted", Code: "conflicting_correction" });
        Assert.Contains(Errors(new CorrectionInput("r", [new CorrectionItemInput("a", new Dictionary<string, string> { ["genuine"] = "X", ["feigned"] = "C" }, null, null)])),
            e => e is { Field: "items[0].ratings.genuine", Code: "invalid_rating" });
        // A correction names the hypotheses it re-rates (the others keep their ratings), so a hypothesis added by a
        // revision can be rated item by item; a name that is no hypothesis of the topic is still refused.
        Assert.Empty(Errors(new CorrectionInput("r", [new CorrectionItemInput("a", new Dictionary<string, string> { ["genuine"] = "C" }, null, null)])));
        Assert.Contains(Errors(new CorrectionInput("r", [new CorrectionItemInput("a", new Dictionary<string, string> { ["nope"] = "C" }, null, null)])),
            e => e is { Field: "items[0].ratings.nope", Code: "unknown_hypothesis" });
        Assert.Contains(Errors(new CorrectionInput("r", [new CorrectionItemInput("a", null, 2, null), new CorrectionItemInput("a", null, 3, null)])),
            e => e is { Field: "items[1].id", Code: "duplicate_item" });
    }

    private static CorrectionInput Correction(string reason, params CorrectionItemInput[] items) => new(reason, items);

    [Fact]
    public void identical_corrections_have_the_same_fingerprint_whatever_the_order()
    {
        var a = CorrectionValidator.Fingerprint("doc", Correction("second look",
            new CorrectionItemInput("x", new Dictionary<string, string> { ["genuine"] = "I", ["feigned"] = "C" }, 2, null), new("y", null, null, true)));
        var reordered = CorrectionValidator.Fingerprint("doc", Correction("second look",
            new CorrectionItemInput("y", null, null, true), new("x", new Dictionary<string, string> { ["feigned"] = "C", ["genuine"] = "I" }, 2, false)));
        Assert.Equal(a, reordered);
        Assert.NotEqual(a, CorrectionValidator.Fingerprint("other-doc", Correction("second look",
            new CorrectionItemInput("x", new Dictionary<string, string> { ["genuine"] = "I", ["feigned"] = "C" }, 2, null), new("y", null, null, true))));
        Assert.NotEqual(a, CorrectionValidator.Fingerprint("doc", Correction("third look",
            new CorrectionItemInput("x", new Dictionary<string, string> { ["genuine"] = "I", ["feigned"] = "C" }, 2, null), new("y", null, null, true))));
        Assert.NotEqual(a, CorrectionValidator.Fingerprint("doc", Correction("second look",
            new CorrectionItemInput("x", new Dictionary<string, string> { ["genuine"] = "I", ["feigned"] = "C" }, 3, null), new("y", null, null, true))));
    }

    [Fact]
    public void labels_descriptions_and_reasons_have_length_limits()
    {
        var longLabel = new string('l', Limits.LabelCharacters + 1);
        Assert.Contains(TopicValidator.Validate(Topic() with { Title = longLabel }).Errors, e => e is { Field: "title", Code: "too_long" });
        Assert.Contains(TopicValidator.Validate(Topic() with { Hypotheses = [new("a", longLabel, null), new("b", "B", null)] }).Errors,
            e => e is { Field: "hypotheses[0].label", Code: "too_long" });
        Assert.Contains(SourceValidator.Validate(new SourceInput("s", longLabel, "wire", "B", null)).Errors, e => e is { Field: "name", Code: "too_long" });
        Assert.Contains(ContextPeriodValidator.Validate(new ContextPeriodInput("p", longLabel, "aid-debate", "2024-01-01", "2024-01-02", null)).Errors,
            e => e is { Field: "label", Code: "too_long" });
        Assert.Contains(CorrectionValidator.Validate("doc", Correction(new string('r', Limits.DescriptionCharacters + 1), new CorrectionItemInput("x", null, 2, null)),
            KnownReferences.Empty).Errors, e => e is { Field: "reason", Code: "too_long" });
    }
}
