using System.Text.Json;
using Narrative.Domain.Corpus;

namespace Narrative.Domain.Tests.Corpus;

public class InputShapeTests
{
    private static IReadOnlyList<FieldError> Check(string json, Shape shape)
    {
        using var doc = JsonDocument.Parse(json);
        return InputShapes.Check(doc.RootElement, shape);
    }

    private const string Item = """{ "id": "a", "topic": "t", "type": "report", "summary": "s", "credibility": 3, "ratings": { "x": "C" }, "rebuts": [] }""";

    private static string Doc(string item = Item, string extra = "") =>
        $$"""{ "id": "d", "source": "nyt", "publishedAt": "2024-03-01", "title": "T", "cites": [], "items": [ {{item}} ] {{extra}} }""";

    [Fact]
    public void a_well_formed_document_has_no_shape_errors() => Assert.Empty(Check(Doc(), InputShapes.Document));

    [Fact]
    public void an_unknown_field_is_rejected_by_name_with_the_list_of_fields()
    {
        var error = Check(Doc(extra: """, "foo": 1"""), InputShapes.Document).Single();
        Assert.Equal(("foo", "unknown_field"), (error.Field, error.Code));
        Assert.Contains("publishedAt", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("occuredAt", "occurredAt")]
    [InlineData("qoute", "quote")]
    [InlineData("OccurredAt", "occurredAt")]
    [InlineData("credibilty", "credibility")]
    public void a_misspelt_item_field_is_rejected_with_a_suggestion(string misspelt, string meant)
    {
        var error = Check(Doc(Item.Replace("\"summary\"", $"\"{misspelt}\": \"x\", \"summary\"", StringComparison.Ordinal)), InputShapes.Document).Single();
        Assert.Equal($"items[0].{misspelt}", error.Field);
        Assert.Equal("unknown_field", error.Code);
        Assert.EndsWith($"did you mean '{meant}'?", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("\"3\"")]
    [InlineData("3.5")]
    [InlineData("true")]
    [InlineData("[3]")]
    public void credibility_of_the_wrong_json_type_is_explained_in_plain_words(string value)
    {
        var error = Check(Doc(Item.Replace("\"credibility\": 3", $"\"credibility\": {value}", StringComparison.Ordinal)), InputShapes.Document).Single();
        Assert.Equal(("items[0].credibility", "wrong_type"), (error.Field, error.Code));
        Assert.Equal("items[0].credibility must be an integer from 1 to 6.", error.Message);
    }

    [Fact]
    public void wrong_types_inside_lists_and_maps_name_their_element()
    {
        var errors = Check(Doc(Item.Replace("\"C\"", "3", StringComparison.Ordinal), extra: """, "authors": ["a", 2]"""), InputShapes.Document);
        Assert.Contains(errors, e => e is { Field: "items[0].ratings.x", Code: "wrong_type" });
        Assert.Contains(errors, e => e is { Field: "authors[1]", Code: "wrong_type" });
        Assert.DoesNotContain(errors, e => e.Message.Contains("System.", StringComparison.Ordinal) || e.Message.Contains("Int32", StringComparison.Ordinal));
    }

    [Fact]
    public void a_field_given_twice_is_rejected() =>
        Assert.Contains(Check(Doc(extra: """, "title": "again" """), InputShapes.Document), e => e is { Field: "title", Code: "duplicate_field" });

    [Fact]
    public void a_body_that_is_not_an_object_is_rejected() =>
        Assert.Contains(Check("[1, 2]", InputShapes.Document), e => e is { Field: "$", Code: "wrong_type" });

    [Fact]
    public void null_values_are_left_to_the_validators() => Assert.Empty(Check(Doc(extra: """, "url": null"""), InputShapes.Document));

    [Fact]
    public void corrections_topics_sources_and_context_periods_reject_unknown_fields_too()
    {
        Assert.Contains(Check("""{ "reason": "r", "items": [ { "id": "a", "retract": true } ] }""", InputShapes.Correction),
            e => e is { Field: "items[0].retract", Code: "unknown_field" } && e.Message.EndsWith("did you mean 'retracted'?", StringComparison.Ordinal));
        Assert.Contains(Check("""{ "id": "t", "period": { "start": "2024-01-01", "ned": "2024-02-01" } }""", InputShapes.Topic),
            e => e is { Field: "period.ned", Code: "unknown_field" });
        Assert.Contains(Check("""{ "id": "s", "reliabilty": "B" }""", InputShapes.Source), e => e is { Field: "reliabilty", Code: "unknown_field" });
        Assert.Contains(Check("""{ "id": "c", "decidedAt": "2024-01-01" }""", InputShapes.ContextPeriod), e => e is { Field: "decidedAt", Code: "unknown_field" });
        Assert.Contains(Check("""{ "reason": "r", "items": [ { "id": "a", "retracted": "yes" } ] }""", InputShapes.Correction),
            e => e is { Field: "items[0].retracted", Code: "wrong_type" } && e.Message.EndsWith("must be true or false.", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("foo", null)]
    [InlineData("tittle", "title")]
    [InlineData("ID", "id")]
    [InlineData("x", null)]
    public void suggestions_are_only_made_when_one_field_is_close(string name, string? expected) =>
        Assert.Equal(expected, InputShapes.Suggest(name, InputShapes.Document.Fields.Keys));
}
