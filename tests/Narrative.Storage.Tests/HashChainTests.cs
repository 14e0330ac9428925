using Narrative.Testing;

namespace Narrative.Storage.Tests;

[Collection(PostgresCollection.Name)]
public sealed class HashChainTests(PostgresFixture pg) : StoreTest(pg)
{
    [Fact]
    public async Task every_event_gets_a_sha256_header_chained_to_its_predecessor()
    {
        await Log.AppendAsync("s-1", ExpectedVersion.NoStream, [TestEvents.Note("a"), TestEvents.Note("b")], default);
        await Log.AppendAsync("s-1", ExpectedVersion.Exactly(2), [TestEvents.Note("c")], default);

        var events = await Log.ReadStreamAsync("s-1", default);

        Assert.Equal(3, events.Count);
        string? previous = null;
        foreach (var e in events)
        {
            Assert.Equal("test.noted.v1", e.Type);
            Assert.Matches("^[0-9a-f]{64}$", e.Hash);
            Assert.Equal(HashChain.Compute(previous, e.Type, e.StreamId, e.Version, e.EventId, e.DataJson), e.Hash);
            previous = e.Hash;
        }
        // The header is Marten's own headers column, not a column of ours.
        Assert.Equal(events[^1].Hash, await ScalarAsync<string>(
            $"select headers->>'sha256' from {EventStoreSetup.Schema}.mt_events where seq_id = $1", events[^1].Position));
    }

    [Fact]
    public async Task verifying_an_intact_log_reports_nothing()
    {
        await AppendSomeAsync();

        Assert.Empty(await Log.VerifyAsync(default));
    }

    [Fact]
    public async Task altering_one_rows_data_by_sql_makes_verify_report_exactly_that_row()
    {
        await AppendSomeAsync();
        var target = (await Log.ReadStreamAsync("s-2", default))[1];

        Assert.Equal(1, await ScalarAsync<int>($$"""
            with changed as (
                update {{EventStoreSetup.Schema}}.mt_events set data = jsonb_set(data, '{text}', '"forged"') where seq_id = $1 returning 1)
            select count(*)::int from changed
            """, target.Position));

        var failures = await Log.VerifyAsync(default);
        var failure = Assert.Single(failures);
        Assert.Equal(target.Position, failure.Position);
        Assert.Equal("s-2", failure.StreamId);
        Assert.Equal(2, failure.Version);
    }

    private async Task AppendSomeAsync()
    {
        foreach (var stream in new[] { "s-1", "s-2", "s-3" })
            await Log.AppendAsync(stream, ExpectedVersion.NoStream, [TestEvents.Note($"{stream} a"), TestEvents.Note($"{stream} b"), TestEvents.Note($"{stream} c")], default);
    }
}
