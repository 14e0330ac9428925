using System.Collections.Immutable;
using Narrative.Domain.Corpus;

namespace Narrative.Domain.Tests.Corpus;

public class DocumentValidatorTests
{
    private static readonly DateOnly Today = new(2024, 6, 1);

    private static readonly KnownReferences Known = new(
        ImmutableDictionary<string, string>.Empty.Add("nyt", "B").Add("isw", "B"),
        ImmutableDictionary<string, KnownTopic>.Empty.Add("ceasefire",
            new KnownTopic(ImmutableHashSet.Create("genuine", "feigned"), new DateOnly(2023, 12, 1), new DateOnly(2024, 5, 31))),
        ImmutableDictionary<string, KnownDocument>.Empty.Add("nyt-1",
            new KnownDocument(new DateOnly(2023, 12, 23), ImmutableHashSet.Create("openness"), ImmutableHashSet.Create("nyt-1-a"))),
        ImmutableDictionary<string, KnownItem>.Empty.Add("nyt-1-a", new KnownItem("nyt-1", "ceasefire")));

    private static ItemInput Item(string id = "doc-a") => new(
        id, "ceasefire", "signal", null, "Putin signals openness.", "quote", "officials", "2023-09-01", 3,
        new Dictionary<string, string> { ["genuine"] = "C", ["feigned"] = "I" }, null, null);

    private static DocumentInput Doc(params ItemInput[] items) => new(
        "doc", "nyt", "2024-01-25", "Title", "https://example.com/a", ["A. Writer"], ["nyt-1"], items.Length == 0 ? [Item()] : items);

    private static IReadOnlyList<FieldError> Errors(DocumentInput doc, int size = 100) =>
        DocumentValidator.Validate(doc, Known, Today, size).Errors;

    private static void AssertError(DocumentInput doc, string field, string code, int size = 100)
    {
        var errors = Errors(doc, size);
        Assert.Contains(errors, e => e.Field == field && e.Code == code);
    }

    [Fact]
    public void valid_document_produces_one_document_event_and_one_item_event_per_item()
    {
        var result = DocumentValidator.Validate(Doc(Item("doc-a"), Item("doc-b") with { Claim = "openness" }), Known, Today, 100);

        Assert.True(result.IsValid, string.Join("; ", result.Errors));
        var events = result.Value!.Events;
        Assert.Equal(3, events.Count);
        var doc = Assert.IsType<DocumentIngested>(events[0]);
        Assert.Equal("doc", doc.DocumentId);
        Assert.Equal(new DateOnly(2024, 1, 25), doc.PublishedAt);
        Assert.Equal(["doc-a", "doc-b"], doc.ItemIds);
        var a = Assert.IsType<ItemRecorded>(events[1]);
        Assert.Equal(("doc-a", "doc", "nyt", "doc-a"), (a.ItemId, a.DocumentId, a.Source, a.Claim));
        Assert.Equal(new DateOnly(2024, 1, 25), a.PublishedAt);
        Assert.Equal(new DateOnly(2023, 9, 1), a.OccurredAt);
        Assert.Equal("I", a.Ratings["feigned"]);
        Assert.Equal("openness", Assert.IsType<ItemRecorded>(events[2]).Claim);
    }

    [Fact]
    public void all_errors_are_reported_not_just_the_first()
    {
        var errors = Errors(Doc(Item() with { Credibility = 9, Type = "rumour" }) with { Source = "bbc", Title = null });
        Assert.Equal(["credibility_range", "invalid_type", "required", "unknown_source"], errors.Select(e => e.Code).Order().ToArray());
    }

    [Fact]
    public void missing_document_fields_are_required()
    {
        var errors = Errors(new DocumentInput(null, null, null, null, null, null, null, null));
        foreach (var field in new[] { "id", "source", "publishedAt", "title", "items" })
        {
            Assert.Contains(errors, e => e.Field == field && e.Code == "required");
        }
    }

    [Fact]
    public void missing_item_fields_are_required()
    {
        var errors = Errors(Doc(new ItemInput(null, null, null, null, null, null, null, null, null, null, null, null)));
        foreach (var field in new[] { "id", "topic", "type", "summary", "credibility", "ratings" })
        {
            Assert.Contains(errors, e => e.Field == $"items[0].{field}" && e.Code == "required");
        }
    }

    [Theory]
    [InlineData("Doc")]
    [InlineData("-doc")]
    [InlineData("doc id")]
    public void document_id_must_be_a_slug(string id) => AssertError(Doc() with { Id = id }, "id", "slug");

    [Fact]
    public void slug_allows_128_characters_but_not_129()
    {
        Assert.Empty(Errors(Doc() with { Id = new string('a', 128) }));
        AssertError(Doc() with { Id = new string('a', 129) }, "id", "slug");
    }

    [Fact]
    public void item_claim_cite_and_rebuts_ids_must_be_slugs()
    {
        AssertError(Doc(Item("Bad_Item")), "items[0].id", "slug");
        AssertError(Doc(Item() with { Claim = "Claim!" }), "items[0].claim", "slug");
        AssertError(Doc() with { Cites = ["NYT"] }, "cites[0]", "slug");
        AssertError(Doc(Item() with { Type = "rebuttal", Rebuts = ["X"] }), "items[0].rebuts[0]", "slug");
        AssertError(Doc(Item() with { Topic = "Topic" }), "items[0].topic", "slug");
    }

    [Fact]
    public void source_must_be_registered() => AssertError(Doc() with { Source = "bbc" }, "source", "unknown_source");

    [Fact]
    public void topic_must_be_open() => AssertError(Doc(Item() with { Topic = "elections" }), "items[0].topic", "unknown_topic");

    [Fact]
    public void rating_for_an_unknown_hypothesis_is_rejected()
    {
        var ratings = new Dictionary<string, string> { ["genuine"] = "C", ["feigned"] = "I", ["bluff"] = "N" };
        AssertError(Doc(Item() with { Ratings = ratings }), "items[0].ratings.bluff", "unknown_hypothesis");
    }

    [Fact]
    public void every_hypothesis_needs_a_rating()
    {
        var ratings = new Dictionary<string, string> { ["genuine"] = "C" };
        AssertError(Doc(Item() with { Ratings = ratings }), "items[0].ratings.feigned", "missing_rating");
    }

    [Theory]
    [InlineData("c")]
    [InlineData("III")]
    [InlineData("")]
    public void rating_values_are_ach_values(string value)
    {
        var ratings = new Dictionary<string, string> { ["genuine"] = value, ["feigned"] = "NA" };
        AssertError(Doc(Item() with { Ratings = ratings }), "items[0].ratings.genuine", "invalid_rating");
    }

    [Fact]
    public void type_must_be_one_of_the_six() => AssertError(Doc(Item() with { Type = "rumour" }), "items[0].type", "invalid_type");

    [Theory]
    [InlineData(0)]
    [InlineData(7)]
    public void credibility_is_between_1_and_6(int credibility) =>
        AssertError(Doc(Item() with { Credibility = credibility }), "items[0].credibility", "credibility_range");

    [Theory]
    [InlineData("2024-02-30")]
    [InlineData("25/01/2024")]
    [InlineData("2024-1-5")]
    public void published_at_must_be_a_real_iso_date(string date) => AssertError(Doc() with { PublishedAt = date }, "publishedAt", "invalid_date");

    [Fact]
    public void full_iso_datetime_is_accepted_and_its_date_taken()
    {
        var result = DocumentValidator.Validate(Doc() with { PublishedAt = "2024-01-25T18:30:00Z" }, Known, Today, 100);
        Assert.Equal(new DateOnly(2024, 1, 25), result.Value!.Document.PublishedAt);
    }

    [Fact]
    public void published_at_after_today_is_rejected() => AssertError(Doc() with { PublishedAt = "2024-06-02" }, "publishedAt", "future_date");

    [Fact]
    public void occurred_at_is_optional_but_validated()
    {
        Assert.Empty(Errors(Doc(Item() with { OccurredAt = null })));
        AssertError(Doc(Item() with { OccurredAt = "2023-13-01" }), "items[0].occurredAt", "invalid_date");
        AssertError(Doc(Item() with { OccurredAt = "2025-01-01" }), "items[0].occurredAt", "future_date");
    }

    [Fact]
    public void cites_must_name_held_documents() => AssertError(Doc() with { Cites = ["nyt-1", "reuters-9"] }, "cites[1]", "unresolved_cite");

    [Fact]
    public void a_document_cannot_cite_itself() => AssertError(Doc() with { Cites = ["doc"] }, "cites[0]", "self_cite");

    [Fact]
    public void a_document_cannot_cite_the_same_document_twice() => AssertError(Doc() with { Cites = ["nyt-1", "nyt-1"] }, "cites[1]", "duplicate_cite");

    [Fact]
    public void rebuts_may_name_held_items_or_items_of_the_same_document()
    {
        var rebuttal = Item("doc-r") with { Type = "rebuttal", Rebuts = ["nyt-1-a", "doc-a"] };
        Assert.Empty(Errors(Doc(Item("doc-a"), rebuttal)));
        AssertError(Doc(Item("doc-a"), rebuttal with { Rebuts = ["nowhere"] }), "items[1].rebuts[0]", "unresolved_rebuts");
    }

    [Fact]
    public void an_item_cannot_rebut_itself() =>
        AssertError(Doc(Item("doc-r") with { Type = "rebuttal", Rebuts = ["doc-r"] }), "items[0].rebuts[0]", "self_rebuttal");

    [Fact]
    public void only_rebuttals_may_list_rebuts() =>
        AssertError(Doc(Item() with { Type = "statement", Rebuts = ["nyt-1-a"] }), "items[0].rebuts", "rebuts_requires_rebuttal");

    [Fact]
    public void a_rebuttal_must_rebut_something() =>
        AssertError(Doc(Item() with { Type = "rebuttal", Rebuts = [] }), "items[0].rebuts", "rebuttal_requires_rebuts");

    [Fact]
    public void item_ids_are_unique_within_a_document() => AssertError(Doc(Item("doc-a"), Item("doc-a")), "items[1].id", "duplicate_item");

    [Fact]
    public void item_id_held_by_another_document_is_rejected() => AssertError(Doc(Item("nyt-1-a")), "items[0].id", "item_exists");

    [Fact]
    public void item_id_held_by_the_same_document_is_accepted_for_an_idempotent_replay() =>
        Assert.Empty(Errors(Doc(Item("nyt-1-a")) with { Id = "nyt-1", Cites = [] }));

    [Fact]
    public void a_document_needs_items() => AssertError(Doc() with { Items = [] }, "items", "required");

    [Fact]
    public void bodies_over_one_mebibyte_are_too_large()
    {
        Assert.Empty(Errors(Doc(), 1_048_576));
        AssertError(Doc(), "$", "too_large", 1_048_577);
    }

    [Theory]
    [InlineData("ftp://example.com/a")]
    [InlineData("/relative/path")]
    [InlineData("not a url")]
    public void url_must_be_absolute_http(string url) => AssertError(Doc() with { Url = url }, "url", "invalid_url");

    [Fact]
    public void authors_must_not_be_blank() => AssertError(Doc() with { Authors = ["A", " "] }, "authors[1]", "required");

    [Fact]
    public void content_hash_is_stable_for_identical_content_and_changes_with_content()
    {
        var a = DocumentValidator.Validate(Doc(), Known, Today, 100).Value!.Document.ContentHash;
        var again = DocumentValidator.Validate(Doc(Item() with { Claim = "doc-a" }), Known, Today, 100).Value!.Document.ContentHash;
        var reordered = DocumentValidator.Validate(
            Doc(Item() with { Ratings = new Dictionary<string, string> { ["feigned"] = "I", ["genuine"] = "C" } }), Known, Today, 100).Value!.Document.ContentHash;
        var changed = DocumentValidator.Validate(Doc(Item() with { Summary = "Different." }), Known, Today, 100).Value!.Document.ContentHash;

        Assert.Matches("^[0-9a-f]{64}$", a);
        Assert.Equal(a, again);
        Assert.Equal(a, reordered);
        Assert.NotEqual(a, changed);
    }

    [Fact]
    public void occurred_at_after_the_documents_published_at_is_rejected()
    {
        AssertError(Doc(Item() with { OccurredAt = "2024-01-26" }), "items[0].occurredAt", "occurred_after_published");
        Assert.Empty(Errors(Doc(Item() with { OccurredAt = "2024-01-25" })));
    }

    [Fact]
    public void a_document_cannot_cite_a_document_published_after_it()
    {
        var error = Errors(Doc() with { PublishedAt = "2023-12-22" }).Single();
        Assert.Equal(("cites[0]", "cites_later_document"), (error.Field, error.Code));
        Assert.Contains("2023-12-23", error.Message, StringComparison.Ordinal);
        Assert.Empty(Errors(Doc() with { PublishedAt = "2023-12-23" }));
    }

    [Fact]
    public void a_quote_may_have_25_words_but_not_26()
    {
        var words = string.Join(' ', Enumerable.Range(1, 25).Select(i => $"w{i}"));
        Assert.Empty(Errors(Doc(Item() with { Quote = words })));
        AssertError(Doc(Item() with { Quote = words + " more" }), "items[0].quote", "too_long");
        AssertError(Doc(Item() with { Quote = string.Join(' ', Enumerable.Repeat("word", 200)) }), "items[0].quote", "too_long");
    }

    [Fact]
    public void summary_title_note_and_attribution_have_length_limits()
    {
        Assert.Empty(Errors(Doc(Item() with { Summary = new string('s', Limits.SummaryCharacters) })));
        AssertError(Doc(Item() with { Summary = new string('s', Limits.SummaryCharacters + 1) }), "items[0].summary", "too_long");
        AssertError(Doc(Item() with { Summary = new string('s', 900_000) }), "items[0].summary", "too_long");
        AssertError(Doc() with { Title = new string('t', Limits.TitleCharacters + 1) }, "title", "too_long");
        AssertError(Doc(Item() with { Note = new string('n', Limits.NoteCharacters + 1) }), "items[0].note", "too_long");
        AssertError(Doc(Item() with { AttributedTo = new string('a', Limits.AttributedToCharacters + 1) }), "items[0].attributedTo", "too_long");
    }

    [Fact]
    public void a_document_holds_at_most_the_item_limit()
    {
        var items = Enumerable.Range(0, Limits.ItemsPerDocument + 1).Select(i => Item($"doc-{i}")).ToArray();
        AssertError(Doc(items), "items", "too_many");
        Assert.Empty(Errors(Doc(items[..Limits.ItemsPerDocument])));
    }
}
