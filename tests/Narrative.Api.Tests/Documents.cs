using System.Text.Json.Nodes;

namespace Narrative.Api.Tests;

/// <summary>Small hand-made inputs that refer to the seeded corpus (topic, sources, documents).</summary>
internal static class Documents
{
    public const string Topic = "putin-ceasefire-stance";

    public static JsonObject Valid(string id = "test-2024-03-01-note") => new()
    {
        ["id"] = id,
        ["source"] = "reuters",
        ["publishedAt"] = "2024-03-01",
        ["title"] = "A test piece",
        ["url"] = "https://example.org/test",
        ["authors"] = new JsonArray("A. Writer"),
        ["cites"] = new JsonArray("nyt-2023-12-23-putin-signals"),
        ["items"] = new JsonArray(Item($"{id}-a"), Item($"{id}-b", type: "rebuttal", rebuts: "nyt-2023-12-23-backchannel")),
    };

    public static JsonObject Item(string id, string type = "report", string? rebuts = null) => new()
    {
        ["id"] = id,
        ["topic"] = Topic,
        ["type"] = type,
        ["claim"] = id,
        ["summary"] = "Something was reported.",
        ["attributedTo"] = "a test",
        ["credibility"] = 3,
        ["ratings"] = new JsonObject { ["genuine"] = "N", ["feigned"] = "N", ["conditional"] = "N", ["maximalist"] = "N" },
        ["rebuts"] = rebuts is null ? new JsonArray() : new JsonArray(rebuts),
    };

    /// <summary>One mutation per corpus rule (docs/design.md), the field it must name and the code it must carry.</summary>
    public static IEnumerable<(string Name, Action<JsonObject> Break, string Field, string Code)> Rules()
    {
        JsonObject I(JsonObject d, int i = 0) => (JsonObject)d["items"]![i]!;
        yield return ("missing id", d => d.Remove("id"), "id", "required");
        yield return ("id not a slug", d => d["id"] = "Not A Slug!", "id", "slug");
        yield return ("id too long", d => d["id"] = new string('a', 129), "id", "slug");
        yield return ("unknown source", d => d["source"] = "nobody", "source", "unknown_source");
        yield return ("missing title", d => d.Remove("title"), "title", "required");
        yield return ("bad date", d => d["publishedAt"] = "2024-02-30", "publishedAt", "invalid_date");
        yield return ("future date", d => d["publishedAt"] = "2999-01-01", "publishedAt", "future_date");
        yield return ("unresolved cite", d => d["cites"] = new JsonArray("no-such-document"), "cites[0]", "unresolved_cite");
        yield return ("no items", d => d["items"] = new JsonArray(), "items", "required");
        yield return ("unknown topic", d => I(d)["topic"] = "no-such-topic", "items[0].topic", "unknown_topic");
        yield return ("bad type", d => I(d)["type"] = "rumour", "items[0].type", "invalid_type");
        yield return ("bad rating", d => I(d)["ratings"]!["genuine"] = "X", "items[0].ratings.genuine", "invalid_rating");
        yield return ("unknown hypothesis", d => I(d)["ratings"]!["other"] = "C", "items[0].ratings.other", "unknown_hypothesis");
        yield return ("missing rating", d => ((JsonObject)I(d)["ratings"]!).Remove("feigned"), "items[0].ratings.feigned", "missing_rating");
        yield return ("credibility too high", d => I(d)["credibility"] = 7, "items[0].credibility", "credibility_range");
        yield return ("credibility too low", d => I(d)["credibility"] = 0, "items[0].credibility", "credibility_range");
        yield return ("duplicate item", d => I(d, 1)["id"] = I(d)["id"]!.GetValue<string>(), "items[1].id", "duplicate_item");
        yield return ("item held elsewhere", d => I(d)["id"] = "nyt-2023-12-23-backchannel", "items[0].id", "item_exists");
        yield return ("unresolved rebuts", d => I(d, 1)["rebuts"] = new JsonArray("no-such-item"), "items[1].rebuts[0]", "unresolved_rebuts");
        yield return ("rebuts on a non-rebuttal", d => I(d)["rebuts"] = new JsonArray("nyt-2023-12-23-backchannel"), "items[0].rebuts", "rebuts_requires_rebuttal");
        yield return ("bad occurredAt", d => I(d)["occurredAt"] = "yesterday", "items[0].occurredAt", "invalid_date");
        yield return ("claim not a slug", d => I(d)["claim"] = "Bad Claim", "items[0].claim", "slug");
        yield return ("missing summary", d => ((JsonObject)I(d)).Remove("summary"), "items[0].summary", "required");
        yield return ("credibility not a number", d => I(d)["credibility"] = "high", "items[0].credibility", "wrong_type");
        yield return ("credibility as a string", d => I(d)["credibility"] = "3", "items[0].credibility", "wrong_type");
        yield return ("credibility not an integer", d => I(d)["credibility"] = 3.5, "items[0].credibility", "wrong_type");
        yield return ("unknown field", d => d["foo"] = 1, "foo", "unknown_field");
        yield return ("misspelt occurredAt", d => I(d)["occuredAt"] = "2024-01-01", "items[0].occuredAt", "unknown_field");
        yield return ("misspelt quote", d => I(d)["qoute"] = "He said so", "items[0].qoute", "unknown_field");
        yield return ("occurredAt after publishedAt", d => I(d)["occurredAt"] = "2024-06-01", "items[0].occurredAt", "occurred_after_published");
        yield return ("cites a later document", d => d["cites"] = new JsonArray("reuters-2024-05-24-putin-wants-ceasefire"), "cites[0]", "cites_later_document");
        yield return ("200-word quote", d => I(d)["quote"] = string.Join(' ', Enumerable.Repeat("word", 200)), "items[0].quote", "too_long");
        yield return ("900 KB summary", d => I(d)["summary"] = new string('s', 900_000), "items[0].summary", "too_long");
        yield return ("long title", d => d["title"] = new string('t', 301), "title", "too_long");
        yield return ("too many items", d => d["items"] = new JsonArray(Enumerable.Range(0, 201).Select(i => (JsonNode)Item($"many-{i}")).ToArray()),
            "items", "too_many");
        yield return ("too large", d => I(d)["summary"] = new string('x', 1_100_000), "$", "too_large");
    }
}
