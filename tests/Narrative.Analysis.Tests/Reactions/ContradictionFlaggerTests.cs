using Narrative.Analysis.Reactions;
using Narrative.Domain;
using Narrative.Testing;
using static Narrative.Analysis.Tests.Reactions.ReactionsHarness;

namespace Narrative.Analysis.Tests.Reactions;

[Collection(PostgresCollection.Name)]
public sealed class ContradictionFlaggerTests(PostgresFixture pg)
{
    [Fact]
    public async Task a_rebuttal_marks_its_target_contested_as_of_its_date()
    {
        await using var h = await StartAsync(pg);
        await h.Document("claim-doc", "origin", "2024-02-01", [], Item("claimed", "signal", "the-claim", Open), Item("other", "report", "x", Open));
        await h.Document("denial-doc", "outlet", "2024-02-09", [], Item("denial", "rebuttal", "denied", Closed, rebuts: ["claimed"]));
        await h.SettleAsync();

        var contested = Assert.Single(await h.EventsAsync<ItemContested>());
        Assert.Equal(new ItemContested(Topic, "claimed", "denial", new DateOnly(2024, 2, 9)), contested.Data);
        Assert.Equal("topic-stance", contested.Stored.StreamId);
        Assert.Equal(await h.EventIdOf<ItemRecorded>(i => i.ItemId == "denial"), contested.Metadata.CausationId);
    }

    [Fact]
    public async Task a_signal_and_an_opposite_statement_ten_days_apart_are_flagged_and_twenty_days_apart_are_not()
    {
        await using var h = await StartAsync(pg);
        await h.Document("signal-doc", "origin", "2024-03-01", [], Item("signal", "signal", "private-openness", Open));
        await h.Document("statement-doc", "outlet", "2024-03-25", [],
            Item("said-10", "statement", "public-no", Closed, occurredAt: "2024-03-11"),
            Item("said-20", "statement", "public-never", Closed, occurredAt: "2024-03-21"),
            Item("same-tenor", "statement", "public-maybe", Open, occurredAt: "2024-03-05"));
        // The other direction: a statement held first, a signal recorded later looks back at it (published date, 3 days).
        await h.Document("late-statement-doc", "other", "2024-05-01", [], Item("said-may", "statement", "public-no-may", Closed));
        await h.Document("late-signal-doc", "think", "2024-05-04", [], Item("signal-may", "signal", "private-may", Open));
        await h.SettleAsync();

        var flags = await h.EventsAsync<ContradictionFlagged>();
        Assert.Equal(
            [new ContradictionFlagged(Topic, "signal", "said-10", 10), new ContradictionFlagged(Topic, "signal-may", "said-may", 3)],
            flags.Select(f => f.Data));
        Assert.All(flags, f => Assert.Equal("topic-stance", f.Stored.StreamId));
        Assert.Equal(await h.EventIdOf<ItemRecorded>(i => i.ItemId == "said-10"), flags[0].Metadata.CausationId);
        Assert.Equal(await h.EventIdOf<ItemRecorded>(i => i.ItemId == "signal-may"), flags[1].Metadata.CausationId);
    }

    [Theory]
    [InlineData("C", "C", "I", "I", "C", "C", true)]    // tenor +1 against −1
    [InlineData("C", "C", "I", "N", "C", "C", true)]    // 0 − 1 is still a negative tenor
    [InlineData("C", "C", "I", "C", "C", "I", false)]   // same tenor
    [InlineData("C", "C", "I", "N", "N", "N", false)]   // a neutral statement has no tenor
    public void tenor_is_the_sign_of_genuine_minus_maximalist(string sg, string sf, string sm, string tg, string tf, string tm, bool opposite)
    {
        var signal = new Dictionary<string, string> { ["genuine"] = sg, ["feigned"] = sf, ["maximalist"] = sm };
        var statement = new Dictionary<string, string> { ["genuine"] = tg, ["feigned"] = tf, ["maximalist"] = tm };
        Assert.Equal(opposite, ContradictionFlagger.Opposite(signal, statement, ["genuine", "feigned", "maximalist"]));
    }

    [Fact]
    public void without_the_tenor_hypotheses_the_rating_vectors_must_point_opposite_ways()
    {
        string[] hypotheses = ["a", "b", "c"];
        Assert.True(ContradictionFlagger.Opposite(new Dictionary<string, string> { ["a"] = "CC", ["b"] = "I" },
            new Dictionary<string, string> { ["a"] = "II", ["b"] = "C" }, hypotheses));
        Assert.False(ContradictionFlagger.Opposite(new Dictionary<string, string> { ["a"] = "C", ["b"] = "N" },
            new Dictionary<string, string> { ["a"] = "I", ["b"] = "N" }, hypotheses));
    }
}
