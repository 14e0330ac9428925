using Narrative.Analysis.Ingestion;
using Narrative.Domain;
using Narrative.Testing;
using Npgsql;
using static Narrative.Analysis.Tests.Reactions.ReactionsHarness;

namespace Narrative.Analysis.Tests.Reactions;

/// <summary>What Wolverine adds to the reactions: retries, dead letters and their replay, and causation metadata.</summary>
[Collection(PostgresCollection.Name)]
public sealed class WolverineTests(PostgresFixture pg)
{
    [Fact]
    public async Task a_reaction_that_fails_every_attempt_is_dead_lettered_the_relay_moves_on_and_a_replay_after_the_fix_runs_it()
    {
        await using var h = await StartAsync(pg, handlerAttempts: 3);
        await h.Period("aid", "aid-debate", "2024-01-01", "2024-01-31", "2024-02-10");
        // The cause: the log refuses the coincidence flag of one item, on every attempt (as a broken constraint would).
        // A sequence counts the attempts: nextval survives the rollback of the failed append.
        await Exec(h, """
            create sequence test_attempts;
            create function narrative.test_refuse() returns trigger language plpgsql as $$
            begin perform nextval('test_attempts'); raise exception 'refused for the test'; end $$;
            create trigger test_refuse before insert on narrative.mt_events for each row
            when (new.type = 'narrative.coincidence_flagged.v1' and new.data->>'itemId' = 'poison') execute function narrative.test_refuse();
            """);
        await h.Document("poison-doc", "origin", "2024-01-10", [], Item("poison", "signal", "claim-p", Open));
        await h.Document("later-doc", "outlet", "2024-01-12", [], Item("later", "signal", "claim-l", Open));
        await h.SettleAsync();

        var dead = Assert.Single(await h.Services.DeadLetters.ListAsync(default));
        Assert.Contains("coincidencedetector", dead.Queue, StringComparison.Ordinal);
        Assert.Contains("refused for the test", dead.ExceptionMessage, StringComparison.Ordinal);
        await using (var attempts = h.Services.DataSource.CreateCommand("select last_value from test_attempts"))
            Assert.Equal(3L, (long)(await attempts.ExecuteScalarAsync())!);
        // The relay and the other handlers went on: the later signal is flagged, the poison item linked by the watcher.
        Assert.Equal(["later"], (await h.EventsAsync<CoincidenceFlagged>()).Select(f => f.Data.ItemId));
        Assert.Contains(await h.EventsAsync<LeadingHypothesisShifted>(), s => s.Data.Causes.Contains("poison"));

        await Exec(h, "drop trigger test_refuse on narrative.mt_events");
        Assert.Equal(ReplayOutcome.NotFound, await h.Services.DeadLetters.ReplayAsync(Guid.NewGuid(), default));
        Assert.Equal(ReplayOutcome.Replayed, await h.Services.DeadLetters.ReplayAsync(dead.Id, default));
        await Eventually(async () => (await h.EventsAsync<CoincidenceFlagged>()).Count == 2, "the replayed message flags the poison item");
        await h.SettleAsync();

        var flags = await h.EventsAsync<CoincidenceFlagged>();
        Assert.Equal(["poison", "later"], flags.Select(f => f.Data.ItemId));
        Assert.Equal(await h.EventIdOf<ItemRecorded>(i => i.ItemId == "poison"), flags[0].Metadata.CausationId);
        Assert.Empty(await h.Services.DeadLetters.ListAsync(default));
    }

    [Fact]
    public async Task events_appended_by_reactions_carry_the_trigger_as_causation_and_its_correlation_id()
    {
        await using var h = await StartAsync(pg);
        await h.Period("aid", "aid-debate", "2024-01-01", "2024-01-31", "2024-02-10");
        await h.DocumentAs(new IngestContext("tests", "corr-signal"), "signal-doc", "origin", "2024-01-10", [], Item("signal", "signal", "openness", Open));
        await h.DocumentAs(new IngestContext("tests", "corr-statement"), "statement-doc", "outlet", "2024-01-15", ["signal-doc"],
            Item("said", "statement", "no-deal", Closed), Item("again", "signal", "openness", Open));
        await h.SettleAsync();

        var log = (await h.Analysis.ReadAllAsync()).ToDictionary(e => e.EventId.ToString(), StringComparer.Ordinal);
        var reactions = (await h.Services.Log.ReadStreamAsync(NarrativeEventTypes.TopicStream(Topic), default))
            .Where(e => e.Metadata.Actor?.StartsWith("handler:", StringComparison.Ordinal) == true).ToList();
        // Coincidence (signal, again), contradiction (said / signal), provenance (again), and the watcher's first leader.
        Assert.True(reactions.Count >= 5, $"only {reactions.Count} reaction events");
        Assert.All(reactions, e =>
        {
            var trigger = log[e.Metadata.CausationId!];
            Assert.Equal(trigger.Metadata.CorrelationId, e.Metadata.CorrelationId);
            Assert.True(trigger.Position < e.Position);
            Assert.Equal("narrative.item_recorded.v1", trigger.Type);
        });
        Assert.Equal(["corr-signal", "corr-statement"], reactions.Select(e => e.Metadata.CorrelationId).Distinct().Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task a_held_up_reaction_shows_as_queued_on_the_handlers_row_while_the_relay_shows_no_lag()
    {
        await using var h = await StartAsync(pg);
        await h.Period("aid", "aid-debate", "2024-01-01", "2024-01-31", "2024-02-10");
        await h.SettleAsync();
        // The coincidence reaction's append waits on an advisory lock this test holds, as a slow handler would.
        await Exec(h, """
            create function narrative.test_hold() returns trigger language plpgsql as $$
            begin perform pg_advisory_xact_lock(4242); return new; end $$;
            create trigger test_hold before insert on narrative.mt_events for each row
            when (new.type = 'narrative.coincidence_flagged.v1') execute function narrative.test_hold();
            """);
        await using var holder = await h.Services.DataSource.OpenConnectionAsync();
        await using (var take = new NpgsqlCommand("select pg_advisory_lock(4242)", holder)) await take.ExecuteNonQueryAsync();

        await h.Document("held-doc", "origin", "2024-01-10", [], Item("held", "signal", "claim-h", Open));

        await Eventually(async () =>
        {
            var rows = await h.Services.StatusWithInboxAsync(default);
            var relay = rows.Single(r => r.Kind == "handlers");
            Assert.All(rows.Where(r => r.Kind != "handlers"), r => Assert.Null(r.Queued));
            return relay.Lag == 0 && relay.Queued >= 1;
        }, "the relay has passed the item while its coincidence message waits in Wolverine's inbox");

        await using (var release = new NpgsqlCommand("select pg_advisory_unlock(4242)", holder)) await release.ExecuteNonQueryAsync();
        await h.SettleAsync();
        Assert.Equal(0, (await h.Services.StatusWithInboxAsync(default)).Single(r => r.Kind == "handlers").Queued);
        Assert.Equal(["held"], (await h.EventsAsync<CoincidenceFlagged>()).Select(f => f.Data.ItemId));
    }

    private static async Task Exec(ReactionsHarness h, string sql)
    {
        await using var cmd = h.Services.DataSource.CreateCommand(sql);
        await cmd.ExecuteNonQueryAsync();
    }
}
