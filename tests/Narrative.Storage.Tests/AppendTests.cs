using Narrative.Testing;

namespace Narrative.Storage.Tests;

[Collection(PostgresCollection.Name)]
public sealed class AppendTests(PostgresFixture pg) : StoreTest(pg)
{
    [Fact]
    public async Task an_append_with_a_stale_expected_version_is_rejected_with_a_concurrency_exception()
    {
        await Log.AppendAsync("s-1", ExpectedVersion.NoStream, [TestEvents.Note("a"), TestEvents.Note("b")], default);

        var ex = await Assert.ThrowsAsync<ConcurrencyException>(() =>
            Log.AppendAsync("s-1", ExpectedVersion.Exactly(1), [TestEvents.Note("c")], default));

        Assert.Equal("s-1", ex.StreamId);
        Assert.Equal(2, ex.Actual);
        Assert.Equal([1L, 2L], (await Log.ReadStreamAsync("s-1", default)).Select(e => e.Version));
    }

    [Fact]
    public async Task an_append_at_the_current_version_succeeds()
    {
        await Log.AppendAsync("s-1", ExpectedVersion.NoStream, [TestEvents.Note("a")], default);

        var result = await Log.AppendAsync("s-1", ExpectedVersion.Exactly(1), [TestEvents.Note("b")], default);

        Assert.True(result.Created);
        Assert.Equal(2, result.Version);
    }

    [Fact]
    public async Task concurrent_writers_with_any_version_to_one_stream_all_succeed_with_contiguous_versions()
    {
        const int Writers = 8, AppendsEach = 5;
        using var start = new SemaphoreSlim(0);
        var writers = Enumerable.Range(0, Writers).Select(w => Task.Run(async () =>
        {
            await start.WaitAsync();
            for (var i = 0; i < AppendsEach; i++)
                await Log.AppendAsync("shared", ExpectedVersion.Any, [TestEvents.Note($"{w}-{i}")], default);
        })).ToArray();
        start.Release(Writers);
        await Task.WhenAll(writers);

        var events = await Log.ReadStreamAsync("shared", default);
        Assert.Equal(Enumerable.Range(1, Writers * AppendsEach).Select(v => (long)v), events.Select(e => e.Version));
        // Each writer read the head under the stream lock, so the chain is unbroken despite the races.
        Assert.Empty(await Log.VerifyAsync(default));
    }

    [Fact]
    public async Task appending_the_same_event_ids_again_is_a_no_op()
    {
        EventData[] batch = [TestEvents.Note("a"), TestEvents.Note("b")];
        var first = await Log.AppendAsync("s-1", ExpectedVersion.NoStream, batch, default);

        var again = await Log.AppendAsync("s-1", ExpectedVersion.NoStream, batch, default);

        Assert.True(first.Created);
        Assert.False(again.Created);
        Assert.Equal(0, again.Written);
        Assert.Equal(2, again.Version);
        Assert.Equal(2, await Log.CountAsync(default));
    }

    [Fact]
    public async Task an_append_repeating_only_some_event_ids_throws_partial_duplicate_and_writes_nothing()
    {
        var stored = TestEvents.Note("a");
        await Log.AppendAsync("s-1", ExpectedVersion.NoStream, [stored], default);

        var ex = await Assert.ThrowsAsync<PartialDuplicateException>(() =>
            Log.AppendAsync("s-1", ExpectedVersion.Any, [stored, TestEvents.Note("new")], default));

        Assert.Equal([stored.EventId], ex.Existing);
        Assert.Equal(1, await Log.CountAsync(default));
    }
}
