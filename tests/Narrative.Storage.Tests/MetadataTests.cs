using Narrative.Testing;

namespace Narrative.Storage.Tests;

[Collection(PostgresCollection.Name)]
public sealed class MetadataTests(PostgresFixture pg) : StoreTest(pg)
{
    [Fact]
    public async Task correlation_id_causation_id_and_actor_land_in_martens_metadata_columns()
    {
        var metadata = new EventMetadata { CorrelationId = "corr-7", CausationId = "cause-3", Actor = "alice" };
        await Log.AppendAsync("s-1", ExpectedVersion.NoStream, [TestEvents.Note("a", metadata: metadata)], default);

        var e = Assert.Single(await Log.ReadStreamAsync("s-1", default));

        Assert.Equal(metadata, e.Metadata);
        Assert.Equal("corr-7|cause-3|alice", await ScalarAsync<string>(
            $"select correlation_id || '|' || causation_id || '|' || user_name from {EventStoreSetup.Schema}.mt_events where seq_id = $1", e.Position));
    }

    [Fact]
    public async Task an_event_without_metadata_reads_back_with_empty_metadata()
    {
        await Log.AppendAsync("s-1", ExpectedVersion.NoStream, [TestEvents.Note("a")], default);

        var e = Assert.Single(await Log.ReadStreamAsync("s-1", default));

        Assert.Equal(new EventMetadata(), e.Metadata);
    }
}
