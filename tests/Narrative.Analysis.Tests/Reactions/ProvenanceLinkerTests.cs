using Narrative.Domain.Corpus;
using Narrative.Domain;
using Narrative.Testing;
using static Narrative.Analysis.Tests.Reactions.ReactionsHarness;

namespace Narrative.Analysis.Tests.Reactions;

[Collection(PostgresCollection.Name)]
public sealed class ProvenanceLinkerTests(PostgresFixture pg)
{
    [Fact]
    public async Task a_re_report_citing_the_origin_is_derivative_and_an_uncited_outlet_is_independent()
    {
        await using var h = await StartAsync(pg);
        await h.Document("origin-doc", "origin", "2024-02-01", [], Item("origin-item", "report", "the-claim", Open));
        await h.Document("rereport-doc", "outlet", "2024-02-02", ["origin-doc"], Item("rereport-item", "report", "the-claim", Open));
        await h.Document("own-doc", "other", "2024-02-03", [], Item("own-item", "report", "the-claim", Open));
        // Cites the origin only through a document that does not carry the claim itself.
        await h.Document("digest-doc", "think", "2024-02-04", ["origin-doc"], Item("digest-item", "assessment", "unrelated", Open));
        await h.Document("late-doc", "think", "2024-02-05", ["digest-doc"], Item("late-item", "report", "the-claim", Open));
        await h.SettleAsync();

        var links = await h.EventsAsync<AppearanceLinked>();
        Assert.Equal(
            [
                new AppearanceLinked("the-claim", "rereport-item", "rereport-doc", true, "origin-doc"),
                new AppearanceLinked("the-claim", "own-item", "own-doc", false, null),
                new AppearanceLinked("the-claim", "late-item", "late-doc", true, "origin-doc"),
            ],
            links.Select(l => l.Data));
        Assert.All(links, l => Assert.Equal("topic-stance", l.Stored.StreamId));
        Assert.Equal(await h.EventIdOf<ItemRecorded>(i => i.ItemId == "rereport-item"), links[0].Metadata.CausationId);
        Assert.Equal(await h.EventIdOf<ItemRecorded>(i => i.ItemId == "own-item"), links[1].Metadata.CausationId);
    }

    [Fact]
    public async Task an_appearance_whose_only_earlier_carrier_was_retracted_is_not_linked()
    {
        await using var h = await StartAsync(pg);
        await h.Document("origin-doc", "origin", "2024-02-01", [], Item("origin-item", "report", "the-claim", Open));
        await h.Correct("origin-doc", new CorrectionItemInput("origin-item", null, null, true));
        await h.Document("rereport-doc", "outlet", "2024-02-02", ["origin-doc"], Item("rereport-item", "report", "the-claim", Open));
        await h.SettleAsync();

        Assert.Empty(await h.EventsAsync<AppearanceLinked>());
    }
}
