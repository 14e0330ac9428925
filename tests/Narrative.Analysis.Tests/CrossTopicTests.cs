using Narrative.Analysis.Ingestion;
using Narrative.Domain.Corpus;
using Narrative.Domain.Replay;
using Narrative.Testing;

namespace Narrative.Analysis.Tests;

/// <summary>
/// Claims and rebuttals that cross topics: an assessment reads the other topic's items through topic_links, in both
/// directions (a new item whose claim another topic already holds, and an old one that a new item joins).
/// </summary>
[Collection(PostgresCollection.Name)]
public sealed class CrossTopicTests(PostgresFixture pg) : IAsyncLifetime
{
    private static readonly Dictionary<string, string> Ratings = new() { ["genuine"] = "C", ["feigned"] = "I", ["maximalist"] = "N" };
    private AnalysisHarness _h = null!;

    public async Task InitializeAsync()
    {
        _h = await AnalysisHarness.StartAsync(pg);
        foreach (var topic in new[] { "alpha", "beta" })
            await Ok(_h.Services.Ingestion.OpenTopicAsync(new TopicInput(topic, topic, new PeriodInput("2024-01-01", "2024-12-31"),
                [new("genuine", "Genuine", null), new("feigned", "Feigned", null), new("maximalist", "Maximalist", null)]), AnalysisHarness.Tests, default));
        foreach (var source in new[] { "wire", "paper" })
            await Ok(_h.Services.Ingestion.RegisterSourceAsync(new SourceInput(source, source, "news", "B", null), AnalysisHarness.Tests, default));

        await Document("d1", "2024-02-01", [], Item("a1", "alpha", "report", "shared"));
        // beta re-reports alpha's claim, citing it: derivative across topics.
        await Document("d2", "2024-02-02", ["d1"], Item("b1", "beta", "report", "shared"));
        // beta rebuts alpha's item.
        await Document("d3", "2024-02-03", [], Item("b2", "beta", "rebuttal", "denial", rebuts: ["a1"]));
        // The other direction: beta holds a claim first, and a later alpha item citing it joins it.
        await Document("d4", "2024-02-04", [], Item("b3", "beta", "report", "late"));
        await Document("d5", "2024-02-05", ["d4"], Item("a2", "alpha", "report", "late"));
        await _h.CatchUpAsync();
    }

    public async Task DisposeAsync() => await _h.DisposeAsync();

    private static async Task Ok(Task<IngestResult> ingest)
    {
        var r = await ingest;
        Assert.True(r.Status == IngestStatus.Created, $"{r.Id}: {r.Status} {string.Join("; ", r.Errors)}");
    }

    private Task Document(string id, string publishedAt, IReadOnlyList<string> cites, ItemInput item) =>
        Ok(_h.Services.Ingestion.IngestDocumentAsync(new DocumentInput(id, "wire", publishedAt, id, null, [], cites, [item]), 1000, AnalysisHarness.Tests, default));

    private static ItemInput Item(string id, string topic, string type, string claim, IReadOnlyList<string>? rebuts = null) =>
        new(id, topic, type, claim, $"summary of {id}", null, null, null, 3, Ratings, rebuts ?? [], null);

    [Fact]
    public async Task derivative_and_contested_flags_see_the_other_topic_and_equal_the_replay()
    {
        var end = WorldQueries.EndOfDay(new DateOnly(2024, 12, 31));
        var alpha = (await _h.Services.Queries.AssessAsync("alpha", end, DateTimeOffset.UtcNow, default))!;
        var beta = (await _h.Services.Queries.AssessAsync("beta", end, DateTimeOffset.UtcNow, default))!;

        var a1 = alpha.Evidence.Single(e => e.ItemId == "a1");
        Assert.True(a1.Contested);
        Assert.Equal(["b2"], a1.ContestedBy);
        Assert.False(a1.Derivative);
        var a2 = alpha.Evidence.Single(e => e.ItemId == "a2");
        Assert.True(a2.Derivative);
        Assert.Equal("d4", a2.DerivedFrom);
        Assert.Equal("d1", beta.Evidence.Single(e => e.ItemId == "b1").DerivedFrom);
        Assert.Equal(["a1", "a2"], alpha.Evidence.Select(e => e.ItemId));

        // Before the rebuttal was published, a1 is not contested.
        var early = (await _h.Services.Queries.AssessAsync("alpha", WorldQueries.EndOfDay(new DateOnly(2024, 2, 2)), DateTimeOffset.UtcNow, default))!;
        Assert.False(early.Evidence.Single(e => e.ItemId == "a1").Contested);

        var world = await _h.ReplayAsync();
        foreach (var day in new[] { 1, 2, 3, 4, 5, 28 })
        {
            var asOf = WorldQueries.EndOfDay(new DateOnly(2024, 2, day));
            foreach (var topic in new[] { "alpha", "beta" })
            {
                var knownAt = DateTimeOffset.UtcNow;
                Assert.Equal(System.Text.Json.JsonSerializer.Serialize(WorldQueries.Assess(world, topic, asOf, knownAt), NarrativeEvents.Json),
                    System.Text.Json.JsonSerializer.Serialize(await _h.Services.Queries.AssessAsync(topic, asOf, knownAt, default), NarrativeEvents.Json));
            }
        }
    }

    [Fact]
    public async Task topic_links_are_the_same_after_a_rebuild()
    {
        var before = await Links();
        // alpha needs b1 (shares a1's claim), b2 (rebuts a1) and b3 (shares a2's claim); beta needs a1 and a2 likewise.
        Assert.Equal([("alpha", "b1"), ("alpha", "b2"), ("alpha", "b3"), ("beta", "a1"), ("beta", "a2")], before);

        await _h.RebuildAsync(_h.Services.Projection);
        Assert.Equal(before, await Links());
    }

    [Fact]
    public async Task topic_links_are_the_same_after_a_rebuild_whose_fingerprints_collide()
    {
        // Forty more items in each topic: beta's rebut alpha's, and every fourth shares an alpha claim.
        for (var i = 0; i < 40; i++) await Document($"da{i}", "2024-03-01", [], Item($"x{i}", "alpha", "report", $"claim-{i}"));
        for (var i = 0; i < 40; i++)
            await Document($"db{i}", "2024-03-02", [], Item($"y{i}", "beta", "rebuttal", i % 4 == 0 ? $"claim-{i}" : $"denial-{i}", rebuts: [$"x{i}", "a1"]));
        await _h.CatchUpAsync();
        var before = await Links();
        Assert.Equal(5 + 40 + 10, before.Count); // the old ones; alpha needs each y; beta needs the x whose claim a y shares

        // The loader keeps only fingerprints of ids and claims. With so few bits that they keep colliding, its memory
        // misleads it every way it can (a new id taken for a repeat, a target's topic unknown, a claim taken for shared);
        // the checks behind it must still give the same links.
        foreach (var bits in Enumerable.Range(1, 10))
        {
            await _h.RebuildAsync(new Narrative.Analysis.ReadModel.AnalysisProjection { RebuildFingerprintBits = bits });
            Assert.Equal(before, await Links());
        }
    }

    private async Task<List<(string Topic, string Item)>> Links()
    {
        await using var cmd = _h.Services.DataSource.CreateCommand("select topic, item_id from rm_analysis.topic_links order by topic, item_id");
        var list = new List<(string, string)>();
        await using var r = await cmd.ExecuteReaderAsync();
        while (await r.ReadAsync()) list.Add((r.GetString(0), r.GetString(1)));
        return list;
    }
}
