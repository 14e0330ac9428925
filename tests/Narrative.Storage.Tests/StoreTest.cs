using Marten;
using Narrative.Testing;
using Npgsql;

namespace Narrative.Storage.Tests;

/// <summary>
/// A fresh database with Marten's event store schema, and an <see cref="EventLog"/> over it, created before each test
/// (xunit makes one instance per test, so no test sees another's events). Nothing is cleaned "after".
/// </summary>
public abstract class StoreTest(PostgresFixture pg) : IAsyncLifetime
{
    protected string ConnectionString { get; private set; } = "";
    protected NpgsqlDataSource Db { get; private set; } = null!;
    protected DocumentStore Store { get; private set; } = null!;
    protected EventLog Log { get; private set; } = null!;

    /// <summary>Extra Marten configuration (a test's own projection), on top of the application's.</summary>
    protected virtual void Configure(StoreOptions options) { }

    public virtual async Task InitializeAsync()
    {
        ConnectionString = await pg.CreateDatabaseAsync("storage");
        Db = NpgsqlDataSource.Create(ConnectionString);
        Store = DocumentStore.For(o =>
        {
            EventStoreSetup.Configure(o, ConnectionString, TestEvents.Types, TestEvents.Json);
            Configure(o);
        });
        // EventLog reads mt_events with raw SQL before its first Marten session, so the tables must exist up front.
        await Store.Storage.ApplyAllConfiguredChangesToDatabaseAsync();
        Log = new EventLog(Store, Db);
    }

    public virtual async Task DisposeAsync()
    {
        Store.Dispose();
        await Db.DisposeAsync();
    }

    protected async Task<T> ScalarAsync<T>(string sql, params object[] args)
    {
        await using var cmd = Db.CreateCommand(sql);
        foreach (var a in args) cmd.Parameters.Add(new NpgsqlParameter { Value = a });
        return (T)(await cmd.ExecuteScalarAsync())!;
    }
}
