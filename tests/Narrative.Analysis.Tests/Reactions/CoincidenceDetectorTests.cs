using Narrative.Analysis.Alerts;
using Narrative.Analysis.Reactions;
using Narrative.Domain;
using Narrative.Testing;
using static Narrative.Analysis.Tests.Reactions.ReactionsHarness;

namespace Narrative.Analysis.Tests.Reactions;

[Collection(PostgresCollection.Name)]
public sealed class CoincidenceDetectorTests(PostgresFixture pg)
{
    [Fact]
    public async Task a_signal_inside_an_aid_debate_window_is_flagged_and_one_outside_is_not()
    {
        await using var h = await StartAsync(pg);
        await h.Period("aid-jan", "aid-debate", "2024-01-01", "2024-01-31", "2024-02-10");
        await h.Period("vote-mar", "election", "2024-03-01", "2024-03-31", null);
        await h.Document("doc-inside", "origin", "2024-01-31", [],
            Item("sig-inside", "signal", "claim-a", Open),
            Item("stmt-inside", "statement", "claim-b", Closed, occurredAt: "2024-01-01"));
        await h.Document("doc-outside", "origin", "2024-03-05", [], Item("sig-outside", "signal", "claim-c", Open));
        await h.SettleAsync();

        var flag = Assert.Single(await h.EventsAsync<CoincidenceFlagged>());
        Assert.Equal("topic-stance", flag.Stored.StreamId);
        // Also 10 days before the debate's decision, inside the timing test's 14-day window.
        Assert.Equal(new CoincidenceFlagged(Topic, "sig-inside", "doc-inside", new DateOnly(2024, 1, 31), flag.Data.Periods, 10, "aid-jan", 10), flag.Data);
        Assert.Equal(["aid-jan"], flag.Data.Periods);
        Assert.Equal(await h.EventIdOf<ItemRecorded>(i => i.ItemId == "sig-inside"), flag.Metadata.CausationId);
        Assert.Equal("handler:reaction.coincidence", flag.Metadata.Actor);
    }

    [Fact]
    public async Task a_signal_shortly_before_an_aid_milestone_is_flagged_and_raises_an_alert_naming_the_decision()
    {
        await using var h = await StartAsync(pg);
        await h.Period("house-vote", "aid-milestone", "2024-04-20", "2024-04-20", null);
        await h.Document("doc-before", "origin", "2024-04-15", [], Item("sig-before", "signal", "claim-a", Open));
        await h.Document("doc-long-before", "origin", "2024-03-01", [], Item("sig-long-before", "signal", "claim-b", Open));
        await h.Document("doc-after", "origin", "2024-04-21", [], Item("sig-after", "signal", "claim-c", Open));
        await h.SettleAsync();

        var flag = Assert.Single(await h.EventsAsync<CoincidenceFlagged>());
        Assert.Equal(new CoincidenceFlagged(Topic, "sig-before", "doc-before", new DateOnly(2024, 4, 15), flag.Data.Periods, null, "house-vote", 5), flag.Data);
        Assert.Empty(flag.Data.Periods);
        var alert = Assert.Single(h.Alerts(), a => a.Kind == CoincidenceDetector.TimingAlertKind);
        Assert.Equal(new SignalTiming("sig-before", new DateOnly(2024, 4, 15), "house-vote", "house-vote", new DateOnly(2024, 4, 20), 5), alert.Timing);
        Assert.Contains("5 days before", alert.Summary, StringComparison.Ordinal);
        Assert.Equal(await h.EventIdOf<ItemRecorded>(i => i.ItemId == "sig-before"), alert.CausationId);
    }
}
