using Narrative.Storage;
using Narrative.Storage.Postgres;
using Npgsql;
using Xunit;

namespace Narrative.Testing;

/// <summary>
/// One throwaway PostgreSQL cluster per test assembly (or the server in NARRATIVE_DB), and a fresh database
/// per test, created before the test runs. Nothing is cleaned up "after": the cluster is deleted on disposal.
/// </summary>
public sealed class PostgresFixture : IAsyncLifetime
{
    private static int _counter;
    private NpgsqlDataSource? _admin;

    public EmbeddedPostgres? Server { get; private set; }
    public string AdminConnectionString { get; private set; } = "";

    public async Task InitializeAsync()
    {
        var external = Environment.GetEnvironmentVariable("NARRATIVE_DB");
        if (!string.IsNullOrWhiteSpace(external))
        {
            AdminConnectionString = external;
        }
        else
        {
            var dir = Path.Combine(Path.GetTempPath(), $"narrative-test-{Environment.ProcessId}-{Guid.NewGuid():N}");
            Server = await EmbeddedPostgres.StartAsync(new EmbeddedPostgresOptions(dir) { Ephemeral = true, MaxConnections = 300 }, CancellationToken.None);
            AdminConnectionString = Server.ConnectionString();
        }
        _admin = NpgsqlDataSource.Create(AdminConnectionString);
    }

    /// <summary>Creates an empty database with the event store schema and returns its connection string.</summary>
    public async Task<string> CreateDatabaseAsync(string prefix = "t")
    {
        var name = $"{prefix}_{Interlocked.Increment(ref _counter)}_{Guid.NewGuid():N}";
        await using (var cmd = _admin!.CreateCommand($"create database \"{name}\""))
            await cmd.ExecuteNonQueryAsync();
        var cs = new NpgsqlConnectionStringBuilder(AdminConnectionString) { Database = name, MaxPoolSize = 40 }.ConnectionString;
        return cs;
    }

    /// <summary>A migrated store on a fresh database.</summary>
    public async Task<NpgsqlDataSource> CreateStoreDatabaseAsync()
    {
        var db = NpgsqlDataSource.Create(await CreateDatabaseAsync());
        await Schema.MigrateAsync(db, CancellationToken.None);
        return db;
    }

    public async Task DisposeAsync()
    {
        if (_admin is not null) await _admin.DisposeAsync();
        NpgsqlConnection.ClearAllPools();
        if (Server is not null) await Server.DisposeAsync();
    }
}
