using System.Text.Json;
using Narrative.Storage.Handlers;
using Narrative.Testing;
using Npgsql;
using static Narrative.Storage.Tests.Handlers.HandlerTestKit;

namespace Narrative.Storage.Tests.Handlers;

[Collection(PostgresCollection.Name)]
public sealed class HandlerRuntimeTests(PostgresFixture pg) : StoreTest(pg)
{

    private async Task<Guid> Append(string text, EventMetadata? metadata = null)
    {
        var e = TestEvents.Note(text) with { Metadata = metadata ?? new EventMetadata { CorrelationId = "corr-1", Actor = "tests" } };
        await Store.AppendAsync($"notes-{text}", ExpectedVersion.Any, [e], default);
        return e.EventId;
    }

    private Task<long> Effects(Guid id) => Scalar(Db, "select count(*) from events where stream_id = $1", $"effect-{id:N}");

    [Fact]
    public async Task a_handler_that_fails_twice_then_succeeds_produces_its_effect_exactly_once()
    {
        var handler = new AppendingHandler { FailuresPerEvent = 2 };
        await using (Run(Store, new HandlerRegistry().Add("flaky", () => handler, maxAttempts: 3)))
        {
            var ids = new[] { await Append("a"), await Append("b") };
            await WaitFor(async () => await Scalar(Db, "select count(*) from handler_inbox where handler = 'flaky'") == 2);
            foreach (var id in ids)
            {
                Assert.Equal(3, handler.Attempts[id]);
                Assert.Equal(1, await Effects(id));
            }
            // The handler's own appends are read (and skipped) too, until nothing is left.
            await WaitFor(async () => (await HandlerStatusQuery.ReadAsync(Db, default)).Single().Lag == 0);
        }
        Assert.Equal(0, await Scalar(Db, "select count(*) from handler_dead_letters"));
        var status = Assert.Single(await HandlerStatusQuery.ReadAsync(Db, default));
        Assert.Equal((0, 0, null), (status.Lag, status.OpenDeadLetters, status.LastError));
    }

    [Fact]
    public async Task an_always_failing_event_is_dead_lettered_after_three_attempts_while_later_events_are_handled_and_a_replay_after_the_fix_succeeds()
    {
        var handler = new AppendingHandler();
        handler.Poison["poison"] = true;
        var registry = new HandlerRegistry().Add("picky", () => handler);
        Guid poison;
        Guid[] fine;
        await using (Run(Store, registry))
        {
            var before = await Append("before");
            poison = await Append("poison");
            fine = [before, await Append("after-1"), await Append("after-2")];
            await WaitFor(async () => await Scalar(Db, "select count(*) from handler_inbox") == 3
                                      && await Scalar(Db, "select count(*) from handler_dead_letters") == 1);
            foreach (var id in fine) Assert.Equal(1, await Effects(id));
            Assert.Equal(0, await Effects(poison));
            Assert.Equal(3, handler.Attempts[poison]);

            var status = Assert.Single(await HandlerStatusQuery.ReadAsync(Db, default, registry));
            Assert.Equal(0, status.Lag);
            Assert.Equal(1, status.OpenDeadLetters);
            Assert.Contains("cannot handle 'poison'", status.LastDeadLetterError);
        }

        var deadLetters = new DeadLetters(Store, registry, QuickRetries);
        var letter = Assert.Single(await deadLetters.ListAsync(default));
        var stored = (await Store.ReadStreamAsync("notes-poison", default)).Single();
        Assert.Equal(("picky", poison, stored.Position, "notes-poison", "test.noted.v1", 3),
            (letter.Handler, letter.EventId, letter.Position, letter.StreamId, letter.EventType, letter.Attempts));
        Assert.Equal(typeof(InvalidOperationException).FullName, letter.ErrorType);
        Assert.Equal("cannot handle 'poison'", letter.ErrorMessage);
        Assert.Contains(nameof(AppendingHandler.Handle), letter.ErrorStack);
        Assert.Null(letter.ReplayedAt);

        // Still broken: the replay fails, the letter stays open with the replay error, and nothing happened.
        var failed = await deadLetters.ReplayAsync(letter.Id, default);
        Assert.Equal(ReplayOutcome.Failed, failed.Outcome);
        Assert.Equal((3, (DateTimeOffset?)null), (failed.DeadLetter!.ReplayAttempts, failed.DeadLetter.ReplayedAt));
        Assert.Equal(0, await Effects(poison));

        handler.Poison.Clear();
        var replay = await deadLetters.ReplayAsync(letter.Id, default);
        Assert.Equal(ReplayOutcome.Replayed, replay.Outcome);
        Assert.NotNull(replay.DeadLetter!.ReplayedAt);
        Assert.Equal(1, await Effects(poison));
        Assert.Equal(ReplayOutcome.AlreadyReplayed, (await deadLetters.ReplayAsync(letter.Id, default)).Outcome);
        Assert.Equal(1, await Effects(poison));

        Assert.Empty(await deadLetters.ListAsync(default, includeReplayed: false));
        Assert.Single(await deadLetters.ListAsync(default, handler: "picky"));
        Assert.Equal(0, (await HandlerStatusQuery.ReadAsync(Db, default)).Single().OpenDeadLetters);
        Assert.Equal(ReplayOutcome.NotFound, (await deadLetters.ReplayAsync(letter.Id + 100, default)).Outcome);
    }

    [Fact]
    public async Task the_same_event_delivered_twice_produces_its_effect_once()
    {
        await Exec(Db, EffectsHandler.Table);
        var handler = new EffectsHandler();
        var registry = new HandlerRegistry().Add("effects", () => handler);
        for (var i = 0; i < 12; i++) await Append($"n{i}");
        await using (Run(Store, registry))
            await WaitFor(async () => await Scalar(Db, "select count(*) from effects") == 12);
        var head = await Store.HeadAsync(default);

        // Redeliver everything: the checkpoint goes back to the start.
        await Exec(Db, "update checkpoints set tx_id = 0, position = 0 where name = 'effects'");
        await using (Run(Store, registry))
            await WaitFor(async () => await Scalar(Db, "select position from checkpoints where name = 'effects'") == head.Position);

        Assert.Equal(12, await Scalar(Db, "select count(*) from effects"));
        Assert.Equal(12, await Scalar(Db, "select count(distinct event_id) from effects"));
        Assert.Equal(12, handler.Calls);
    }

    [Fact]
    public async Task appended_events_carry_causation_and_correlation_ids()
    {
        var registry = new HandlerRegistry().Add("appender", () => new AppendingHandler());
        await using (Run(Store, registry))
        {
            var correlated = await Append("with-correlation", new EventMetadata { CorrelationId = "corr-42", Actor = "alice" });
            await WaitFor(async () => await Scalar(Db, "select count(*) from handler_inbox") == 1);

            var bare = await Append("without-correlation", new EventMetadata());
            await WaitFor(async () => await Scalar(Db, "select count(*) from handler_inbox") == 2);
            var first = Metadata((await Store.ReadStreamAsync($"effect-{correlated:N}", default)).Single());
            Assert.Equal((correlated.ToString(), "corr-42", "handler:appender"), (first.CausationId, first.CorrelationId, first.Actor));
            var second = Metadata((await Store.ReadStreamAsync($"effect-{bare:N}", default)).Single());
            Assert.Equal((bare.ToString(), bare.ToString()), (second.CausationId, second.CorrelationId));
        }
    }

    [Fact]
    public async Task a_retrying_handler_shows_as_failing_and_a_handler_nobody_runs_shows_as_unowned()
    {
        var stuck = new AppendingHandler();
        stuck.Poison["stuck"] = true;
        var registry = new HandlerRegistry().Add("stuck", () => stuck, maxAttempts: 1000).Add<EffectsHandler>("never-run");
        await Append("stuck");
        var running = new HandlerRegistry().Add("stuck", () => stuck, maxAttempts: 1000);
        await using (Run(Store, running))
        {
            await WaitFor(async () => (await HandlerStatusQuery.ReadAsync(Db, default, registry)).Any(s => s is { Name: "stuck", State: "failing" }));
            var status = await HandlerStatusQuery.ReadAsync(Db, default, registry);
            var failing = status.Single(s => s.Name == "stuck");
            Assert.Contains("cannot handle 'stuck'", failing.LastError);
            Assert.True(failing.Attempts >= 1);
            Assert.Equal(1, failing.Lag);
            var idle = status.Single(s => s.Name == "never-run");
            Assert.Equal(("unowned", 1L), (idle.State, idle.Lag));
        }
    }

    [Fact]
    public void registration_rejects_a_class_without_handle_methods_and_binds_sync_and_async_ones()
    {
        Assert.Throws<ArgumentException>(() => new HandlerRegistry().Add<object>("nothing", () => new object()));
        var registry = new HandlerRegistry().Add<EffectsHandler>("sync").Add("async", () => new AppendingHandler(), maxAttempts: 5);
        Assert.Equal([typeof(Noted)], registry.Find("sync")!.EventTypes);
        Assert.Equal(5, registry.Find("async")!.MaxAttempts);
        Assert.Throws<ArgumentException>(() => registry.Add<EffectsHandler>("sync"));
    }

    private EventMetadata Metadata(StoredEvent e) => JsonSerializer.Deserialize<EventMetadata>(e.MetadataJson, Store.Types.Json)!;
}
