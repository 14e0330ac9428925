using Narrative.Testing;
using Npgsql;

namespace Narrative.Storage.Tests;

[Collection(PostgresCollection.Name)]
public sealed class AppendTests(PostgresFixture pg) : StoreTest(pg)
{

    [Fact]
    public async Task two_writers_with_the_same_expected_version_exactly_one_succeeds()
    {
        await Store.AppendAsync("s-1", ExpectedVersion.NoStream, [TestEvents.Note("first")], default);

        var results = await Task.WhenAll(Enumerable.Range(0, 2).Select(async i =>
        {
            try
            {
                await Store.AppendAsync("s-1", ExpectedVersion.Exactly(1), [TestEvents.Note($"writer {i}")], default);
                return "ok";
            }
            catch (ConcurrencyException e)
            {
                Assert.Equal("s-1", e.StreamId);
                return "conflict";
            }
        }));

        Assert.Equal(1, results.Count(r => r == "ok"));
        Assert.Equal(1, results.Count(r => r == "conflict"));
        Assert.Equal(2, (await Store.ReadStreamAsync("s-1", default)).Count);
    }

    [Fact]
    public async Task concurrent_writers_in_separate_transactions_conflict_through_the_unique_key()
    {
        // Both transactions read version 0 before either inserts, so only the (stream, version) key can catch it.
        await using var c1 = await Db.OpenConnectionAsync();
        await using var c2 = await Db.OpenConnectionAsync();
        await using var t1 = await c1.BeginTransactionAsync();
        await using var t2 = await c2.BeginTransactionAsync();
        await Store.AppendAsync(c1, t1, "race", ExpectedVersion.NoStream, [TestEvents.Note("a")], default);
        var second = Store.AppendAsync(c2, t2, "race", ExpectedVersion.NoStream, [TestEvents.Note("b")], default);
        await Task.Delay(200);
        await t1.CommitAsync();

        var ex = await Assert.ThrowsAsync<ConcurrencyException>(() => second);
        Assert.Equal("23505", Assert.IsType<PostgresException>(ex.InnerException).SqlState);
    }

    [Fact]
    public async Task sixteen_writers_times_500_appends_leave_every_event_once_with_contiguous_versions()
    {
        const int writers = 16, perWriter = 500;
        var ids = new System.Collections.Concurrent.ConcurrentBag<Guid>();
        await Task.WhenAll(Enumerable.Range(0, writers).Select(w => Task.Run(async () =>
        {
            for (var i = 0; i < perWriter; i++)
            {
                // Half of the appends share four streams, half go to the writer's own stream.
                var stream = i % 2 == 0 ? $"shared-{i % 8 / 2}" : $"own-{w}";
                var e = TestEvents.Note($"{w}/{i}", i);
                await Store.AppendAsync(stream, ExpectedVersion.Any, [e], default);
                ids.Add(e.EventId);
            }
        })));

        var all = new List<StoredEvent>();
        var cursor = GlobalCursor.Start;
        while (true)
        {
            var page = await Store.ReadAllAsync(cursor, 1000, default);
            if (page.Count == 0) break;
            all.AddRange(page);
            cursor = page[^1].Cursor;
        }

        Assert.Equal(writers * perWriter, all.Count);
        Assert.Equal(ids.OrderBy(x => x), all.Select(e => e.EventId).OrderBy(x => x));
        Assert.Equal(all.Count, all.Select(e => e.Position).Distinct().Count());
        foreach (var stream in all.GroupBy(e => e.StreamId))
            Assert.Equal(Enumerable.Range(1, stream.Count()), stream.Select(e => e.Version).OrderBy(v => v));
        Assert.Empty(await Store.VerifyAsync(default));
        // "Any version" writers queue on the stream's lock; before it, this run retried thousands of times and an
        // unlucky writer could lose 20 times in a row under CPU load and fail.
        Assert.Equal(0, Store.ConflictRetries);
    }

    [Fact]
    public async Task thirty_two_any_version_writers_on_one_stream_never_collide()
    {
        const int writers = 32, perWriter = 50;
        await Task.WhenAll(Enumerable.Range(0, writers).Select(w => Task.Run(async () =>
        {
            for (var i = 0; i < perWriter; i++)
                await Store.AppendAsync("hot", ExpectedVersion.Any, [TestEvents.Note($"{w}/{i}", i)], default);
        })));

        var stream = await Store.ReadStreamAsync("hot", default);
        Assert.Equal(Enumerable.Range(1, writers * perWriter), stream.Select(e => e.Version));
        Assert.Equal(0, Store.ConflictRetries);
    }

    [Fact]
    public async Task an_any_version_append_that_loses_to_a_transaction_writer_retries_and_lands_after_it()
    {
        // A writer that states an exact version takes no stream lock, so the (stream, version) key still arbitrates.
        await using var conn = await Db.OpenConnectionAsync();
        await using var held = await conn.BeginTransactionAsync();
        await Store.AppendAsync(conn, held, "mixed", ExpectedVersion.NoStream, [TestEvents.Note("in a transaction")], default);

        var any = Store.AppendAsync("mixed", ExpectedVersion.Any, [TestEvents.Note("any version")], default);
        await Task.Delay(300);
        Assert.False(any.IsCompleted); // waiting on the uncommitted version 1
        await held.CommitAsync();

        var result = await any;
        Assert.Equal(2, result.Version);
        Assert.Equal(1, Store.ConflictRetries);
        Assert.Equal(["in a transaction", "any version"],
            (await Store.ReadStreamAsync("mixed", default)).Select(e => ((Noted)TestEvents.Registry.Deserialize(e)!).Text));
    }

    [Fact]
    public async Task appending_a_known_event_id_again_writes_nothing()
    {
        var e = TestEvents.Note("once");
        var first = await Store.AppendAsync("idem", ExpectedVersion.NoStream, [e], default);
        var again = await Store.AppendAsync("idem", ExpectedVersion.NoStream, [e], default);

        Assert.True(first.Created);
        Assert.False(again.Created);
        Assert.Equal(1, again.Version);
        Assert.Single(await Store.ReadStreamAsync("idem", default));
    }

    [Fact]
    public async Task an_append_repeating_only_some_known_ids_is_refused()
    {
        var e = TestEvents.Note("once");
        await Store.AppendAsync("partial", ExpectedVersion.Any, [e], default);
        await Assert.ThrowsAsync<PartialDuplicateException>(() =>
            Store.AppendAsync("partial", ExpectedVersion.Any, [e, TestEvents.Note("new")], default));
        Assert.Single(await Store.ReadStreamAsync("partial", default));
    }

    [Fact]
    public async Task append_with_stale_version_is_rejected()
    {
        await Store.AppendAsync("stale", ExpectedVersion.NoStream, [TestEvents.Note("a"), TestEvents.Note("b")], default);
        var ex = await Assert.ThrowsAsync<ConcurrencyException>(() =>
            Store.AppendAsync("stale", ExpectedVersion.Exactly(1), [TestEvents.Note("c")], default));
        Assert.Equal(2, ex.Actual);
        await Assert.ThrowsAsync<ConcurrencyException>(() =>
            Store.AppendAsync("stale", ExpectedVersion.NoStream, [TestEvents.Note("d")], default));
        Assert.Equal(2, (await Store.ReadStreamAsync("stale", default)).Count);
    }

    [Fact]
    public async Task a_missing_stream_reads_as_empty()
    {
        Assert.Empty(await Store.ReadStreamAsync("never-written", default));
    }

    [Fact]
    public async Task a_stream_reads_from_and_up_to_a_version_and_up_to_a_recorded_time()
    {
        await Store.AppendAsync("ranges", ExpectedVersion.Any, [TestEvents.Note("1", 1), TestEvents.Note("2", 2)], default);
        var firstBatch = await Store.ReadStreamAsync("ranges", default);
        await Task.Delay(50);
        await Store.AppendAsync("ranges", ExpectedVersion.Any, [TestEvents.Note("3", 3)], default);

        Assert.Equal([2, 3], (await Store.ReadStreamAsync("ranges", default, fromVersion: 2)).Select(e => e.Version));
        Assert.Equal([1, 2], (await Store.ReadStreamAsync("ranges", default, toVersion: 2)).Select(e => e.Version));
        Assert.Equal([1, 2], (await Store.ReadStreamAsync("ranges", default, recordedUntil: firstBatch[^1].RecordedAt)).Select(e => e.Version));
    }

    [Fact]
    public async Task events_round_trip_type_name_data_metadata_and_world_time()
    {
        var e = TestEvents.Note("round trip", 7);
        await Store.AppendAsync("trip", ExpectedVersion.NoStream, [e], default);
        var stored = Assert.Single(await Store.ReadStreamAsync("trip", default));

        Assert.Equal("test.noted.v1", stored.Type);
        Assert.Equal(new Noted("round trip", 7), Store.Types.Deserialize(stored));
        Assert.Equal("corr-1", Store.Types.ReadMetadata(stored).CorrelationId);
        Assert.Equal(EventHash.Truncate(e.OccurredAt), stored.OccurredAt);
        Assert.Equal(32, stored.Hash.Length);
    }

    [Fact]
    public async Task an_update_of_one_row_is_reported_by_verify_and_nothing_else()
    {
        for (var i = 0; i < 5; i++)
            await Store.AppendAsync(i % 2 == 0 ? "chain-a" : "chain-b", ExpectedVersion.Any, [TestEvents.Note($"e{i}", i)], default);
        var victim = (await Store.ReadStreamAsync("chain-a", default))[1];
        Assert.Empty(await Store.VerifyAsync(default));

        await using (var cmd = Db.CreateCommand("update events set data = '{\"text\":\"forged\",\"n\":2}' where position = $1"))
        {
            cmd.Parameters.Add(new NpgsqlParameter { Value = victim.Position });
            await cmd.ExecuteNonQueryAsync();
        }

        var failure = Assert.Single(await Store.VerifyAsync(default));
        Assert.Equal(victim.Position, failure.Position);
        Assert.Equal("chain-a", failure.StreamId);
    }

    [Fact]
    public async Task a_deleted_row_breaks_the_chain_at_its_successor()
    {
        for (var i = 0; i < 3; i++) await Store.AppendAsync("del", ExpectedVersion.Any, [TestEvents.Note($"e{i}", i)], default);
        var events = await Store.ReadStreamAsync("del", default);
        await using (var cmd = Db.CreateCommand("delete from events where position = $1"))
        {
            cmd.Parameters.Add(new NpgsqlParameter { Value = events[1].Position });
            await cmd.ExecuteNonQueryAsync();
        }
        var failures = await Store.VerifyAsync(default);
        Assert.Contains(failures, f => f.Position == events[2].Position);
    }
}
