using Narrative.Storage.Postgres;
using Npgsql;

namespace Narrative.Analysis.Tests;

/// <summary>
/// One throwaway PostgreSQL cluster for this test assembly (or the server in NARRATIVE_DB), and a fresh database per
/// test. A local copy of Narrative.Testing's fixture without its old-store helper, so that these tests build while that
/// project moves to Testcontainers; it can go back to the shared one once that builds again.
/// </summary>
public sealed class PostgresFixture : IAsyncLifetime
{
    private static int _counter;
    private NpgsqlDataSource? _admin;
    private EmbeddedPostgres? _server;

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
            _server = await EmbeddedPostgres.StartAsync(new EmbeddedPostgresOptions(dir) { Ephemeral = true, MaxConnections = 300 }, CancellationToken.None);
            AdminConnectionString = _server.ConnectionString();
        }
        _admin = NpgsqlDataSource.Create(AdminConnectionString);
    }

    /// <summary>Creates an empty database and returns its connection string. Marten creates its schema on first use.</summary>
    public async Task<string> CreateDatabaseAsync(string prefix = "t")
    {
        var name = $"{prefix}_{Interlocked.Increment(ref _counter)}_{Guid.NewGuid():N}";
        await using (var cmd = _admin!.CreateCommand($"create database \"{name}\""))
            await cmd.ExecuteNonQueryAsync();
        return new NpgsqlConnectionStringBuilder(AdminConnectionString) { Database = name, MaxPoolSize = 40 }.ConnectionString;
    }

    /// <summary>The repository's seeds/ folder, found by walking up from the test binaries.</summary>
    public static string SeedsFolder()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Narrative.sln"))) return Path.Combine(dir.FullName, "seeds");
        throw new DirectoryNotFoundException("seeds/ not found above " + AppContext.BaseDirectory);
    }

    public async Task DisposeAsync()
    {
        if (_admin is not null) await _admin.DisposeAsync();
        NpgsqlConnection.ClearAllPools();
        if (_server is not null) await _server.DisposeAsync();
    }
}
