using Narrative.Testing;
using Npgsql;

namespace Narrative.Storage.Tests;

[Collection(PostgresCollection.Name)]
public sealed class GlobalOrderTests(PostgresFixture pg) : StoreTest(pg)
{

    [Fact]
    public async Task the_raw_log_reader_gives_the_same_events_as_read_all_including_one_larger_than_its_buffer()
    {
        await Store.AppendAsync("small", ExpectedVersion.Any, [TestEvents.Note("first"), TestEvents.Note("Путин «x» \"q\"")], default);
        // 3 MB of JSON: bigger than the reader's first buffer, so one row arrives over many reads and the buffer grows.
        await Store.AppendAsync("big", ExpectedVersion.Any, [TestEvents.Note(string.Concat(Enumerable.Repeat("ceasefire–", 300_000)))], default);
        await Store.AppendAsync("small", ExpectedVersion.Any, [TestEvents.Note("after the big one", 7)], default);
        // An append held open stops both readers at the same horizon.
        await using var heldConn = await Db.OpenConnectionAsync();
        await using var held = await heldConn.BeginTransactionAsync();
        await Store.AppendAsync(heldConn, held, "held", ExpectedVersion.Any, [TestEvents.Note("held")], default);
        await Store.AppendAsync("small", ExpectedVersion.Any, [TestEvents.Note("committed behind the held one")], default);

        var expected = await Store.ReadAllAsync(GlobalCursor.Start, 100, default);
        var raw = new List<(long TxId, long Position, DateTimeOffset RecordedAt, string Type, byte[] Data)>();
        await using (var conn = await Db.OpenConnectionAsync())
        await using (var log = await RawLogReader.OpenAsync(conn, default))
            while (await log.NextAsync(default))
            {
                var e = log.Current;
                raw.Add((e.TxId, e.Position, e.RecordedAt, System.Text.Encoding.UTF8.GetString(e.Type), e.Data.ToArray()));
                Assert.Equal(new GlobalCursor(e.TxId, e.Position), log.Cursor);
            }

        Assert.Equal(4, expected.Count);
        Assert.Equal(expected.Select(e => (e.TxId, e.Position, e.RecordedAt, e.Type)), raw.Select(r => (r.TxId, r.Position, r.RecordedAt, r.Type)));
        Assert.Equal(expected.Select(e => e.DataJson), raw.Select(r => System.Text.Encoding.UTF8.GetString(r.Data)));
        Assert.True(raw[2].Data.Length > 3_000_000);
        await held.RollbackAsync();
    }

    [Fact]
    public async Task a_subscriber_never_skips_an_event_committed_after_later_positions()
    {
        var seen = new List<StoredEvent>();
        var cursor = GlobalCursor.Start;
        async Task Poll()
        {
            while (true)
            {
                var page = await Store.ReadAllAsync(cursor, 3, default);
                if (page.Count == 0) return;
                seen.AddRange(page);
                cursor = page[^1].Cursor;
            }
        }

        await Store.AppendAsync("before", ExpectedVersion.Any, [TestEvents.Note("before")], default);

        // Hold one append open: it owns the lowest position of what follows.
        await using var heldConn = await Db.OpenConnectionAsync();
        await using var held = await heldConn.BeginTransactionAsync();
        var heldEvent = TestEvents.Note("held");
        var heldResult = await Store.AppendAsync(heldConn, held, "held", ExpectedVersion.Any, [heldEvent], default);

        // Later appends commit; others roll back.
        var committed = new List<Guid>();
        for (var i = 0; i < 5; i++)
        {
            var e = TestEvents.Note($"later {i}", i);
            await Store.AppendAsync($"later-{i % 2}", ExpectedVersion.Any, [e], default);
            committed.Add(e.EventId);

            await using var rc = await Db.OpenConnectionAsync();
            await using var rollback = await rc.BeginTransactionAsync();
            await Store.AppendAsync(rc, rollback, "rolled-back", ExpectedVersion.Any, [TestEvents.Note($"never {i}")], default);
            await rollback.RollbackAsync();
            await Poll();
        }

        // The later events have higher positions than the held one, yet the subscriber has not moved past it.
        await using (var max = Db.CreateCommand("select max(position) from events"))
            Assert.True(heldResult.FirstPosition < (long)(await max.ExecuteScalarAsync())!);
        Assert.Equal(["before"], seen.Select(e => e.StreamId));

        await held.CommitAsync();
        await Poll();

        Assert.Equal(7, seen.Count);
        Assert.Equal(seen.Count, seen.Select(e => e.EventId).Distinct().Count());
        Assert.Contains(heldEvent.EventId, seen.Select(e => e.EventId));
        Assert.All(committed, id => Assert.Contains(id, seen.Select(e => e.EventId)));
        Assert.DoesNotContain(seen, e => e.StreamId == "rolled-back");
    }

    [Fact]
    public async Task a_rolled_back_held_transaction_releases_the_subscriber_without_a_gap_problem()
    {
        await using var heldConn = await Db.OpenConnectionAsync();
        await using var held = await heldConn.BeginTransactionAsync();
        await Store.AppendAsync(heldConn, held, "held", ExpectedVersion.Any, [TestEvents.Note("held")], default);
        await Store.AppendAsync("after", ExpectedVersion.Any, [TestEvents.Note("after")], default);

        Assert.Empty(await Store.ReadAllAsync(GlobalCursor.Start, 10, default));
        await held.RollbackAsync();

        var page = await Store.ReadAllAsync(GlobalCursor.Start, 10, default);
        Assert.Equal(["after"], page.Select(e => e.StreamId));
    }
}
