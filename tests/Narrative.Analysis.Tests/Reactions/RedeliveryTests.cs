using Narrative.Domain.Corpus;
using Narrative.Testing;
using static Narrative.Analysis.Tests.Reactions.ReactionsHarness;

namespace Narrative.Analysis.Tests.Reactions;

[Collection(PostgresCollection.Name)]
public sealed class RedeliveryTests(PostgresFixture pg)
{
    [Fact]
    public async Task delivering_every_event_again_appends_no_reaction_event_twice()
    {
        await using var h = await StartAsync(pg);
        await h.Period("aid", "aid-debate", "2024-03-01", "2024-03-31", "2024-04-01");
        await h.Document("signal-doc", "origin", "2024-03-01", [], Item("signal", "signal", "openness", Open));
        await h.Document("statement-doc", "outlet", "2024-03-05", ["signal-doc"],
            Item("said", "statement", "no-deal", Closed), Item("again", "signal", "openness", Open),
            Item("denial", "rebuttal", "denied", Closed, rebuts: ["signal"]));
        await h.Correct("statement-doc", new CorrectionItemInput("said", new Dictionary<string, string> { ["genuine"] = "II", ["feigned"] = "C", ["maximalist"] = "CC" }, null, null));
        await h.SettleAsync();
        var before = await h.Services.Log.HeadAsync(default);
        var reactions = (await h.EventsAsync<object>()).Count(e => e.Stored.Type.Contains("flagged", StringComparison.Ordinal)
            || e.Stored.Type.Contains("linked", StringComparison.Ordinal) || e.Stored.Type.Contains("contested", StringComparison.Ordinal)
            || e.Stored.Type.Contains("shifted", StringComparison.Ordinal));
        Assert.True(reactions >= 5, $"only {reactions} reaction events");
        var handledBefore = await HandledByWatcherAsync(h);

        await h.RedeliverEverythingAsync();
        await h.SettleAsync();

        // 4 items and 1 re-rating went to the assessment watcher again (Wolverine keeps handled inbox rows for a while).
        Assert.Equal(handledBefore + 5, await HandledByWatcherAsync(h));
        // The handlers decide the same from the log at each trigger and derive the same event ids, so the log skips them.
        Assert.Equal(before, await h.Services.Log.HeadAsync(default));
    }

    /// <summary>
    /// Handled inbox rows of the assessment watcher: ItemRecorded has four handlers, so Wolverine gives the watcher's
    /// its own queue; ItemRerated and ItemRetracted have only the watcher, so they go to the message type's queue.
    /// </summary>
    private static async Task<long> HandledByWatcherAsync(ReactionsHarness h)
    {
        await using var cmd = h.Services.DataSource.CreateCommand(
            """
            select count(*) from wolverine.wolverine_incoming_envelopes
            where status = 'Handled' and (received_at like '%.assessmentwatcher/' or message_type in ('EventItemRerated', 'EventItemRetracted'))
            """);
        return (long)(await cmd.ExecuteScalarAsync())!;
    }
}
