using Narrative.Testing;
using Npgsql;

namespace Narrative.Storage.Tests;

[Collection(PostgresCollection.Name)]
public sealed class SchemaTests(PostgresFixture pg)
{
    [Fact]
    public async Task migrations_run_twice_and_concurrently_without_error()
    {
        await using var db = NpgsqlDataSource.Create(await pg.CreateDatabaseAsync());

        await Task.WhenAll(Enumerable.Range(0, 6).Select(_ => Schema.MigrateAsync(db, default)));
        await Schema.MigrateAsync(db, default);

        await using var cmd = db.CreateCommand("select count(*), count(distinct id) from schema_migrations");
        await using var reader = await cmd.ExecuteReaderAsync();
        await reader.ReadAsync();
        Assert.True(reader.GetInt64(0) > 0);
        Assert.Equal(reader.GetInt64(0), reader.GetInt64(1));
        var store = new EventStore(db, TestEvents.Registry);
        Assert.True((await store.AppendAsync("after-migrate", ExpectedVersion.NoStream, [TestEvents.Note("x")], default)).Created);
    }
}
