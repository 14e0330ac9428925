using Narrative.Testing;
using Npgsql;

namespace Narrative.Storage.Tests;

/// <summary>A fresh migrated database and a store over it, created before each test (never cleaned "after").</summary>
public abstract class StoreTest(PostgresFixture pg) : IAsyncLifetime
{
    protected NpgsqlDataSource Db { get; private set; } = null!;
    protected EventStore Store { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Db = await pg.CreateStoreDatabaseAsync();
        Store = new EventStore(Db, TestEvents.Registry);
    }

    public async Task DisposeAsync() => await Db.DisposeAsync();
}
