using Narrative.Storage.Postgres;
using Npgsql;
using Xunit;

namespace Narrative.Testing;

/// <summary>
/// A primary and a streaming standby of it (<c>pg_basebackup -R</c>), both embedded clusters from the local binaries,
/// shared by the replica tests of an assembly. Databases are created on the primary and reach the standby by WAL.
/// </summary>
public sealed class ReplicaFixture : IAsyncLifetime
{
    private static int _counter;
    private readonly string _root = Path.Combine(Path.GetTempPath(), $"narrative-test-replica-{Environment.ProcessId}-{Guid.NewGuid():N}");

    public EmbeddedPostgres Primary { get; private set; } = null!;
    public EmbeddedPostgres Standby { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Primary = await EmbeddedPostgres.StartAsync(new EmbeddedPostgresOptions(Path.Combine(_root, "primary")) { Ephemeral = true }, default);
        Standby = await EmbeddedPostgres.StartStandbyAsync(Primary, new EmbeddedPostgresOptions(Path.Combine(_root, "standby")) { Ephemeral = true }, default);
    }

    /// <summary>A new database on the primary, once the standby has it too: its connection strings on both.</summary>
    public async Task<(string Primary, string Replica)> CreateDatabaseAsync(string prefix = "r")
    {
        var name = $"{prefix}_{Interlocked.Increment(ref _counter)}_{Guid.NewGuid():N}";
        var primary = await Primary.CreateDatabaseAsync(name, default);
        var replica = new NpgsqlConnectionStringBuilder(Standby.ConnectionString(name)) { MaxPoolSize = 20 }.ConnectionString;
        await using var standby = NpgsqlDataSource.Create(Standby.ConnectionString());
        var until = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (true)
        {
            await using var cmd = standby.CreateCommand("select 1 from pg_database where datname = $1");
            cmd.Parameters.Add(new NpgsqlParameter { Value = name });
            if (await cmd.ExecuteScalarAsync() is not null) break;
            if (DateTime.UtcNow > until) throw new TimeoutException($"database {name} did not reach the standby");
            await Task.Delay(20);
        }
        return (new NpgsqlConnectionStringBuilder(primary) { MaxPoolSize = 40 }.ConnectionString, replica);
    }

    public async Task DisposeAsync()
    {
        NpgsqlConnection.ClearAllPools();
        if (Standby is not null) await Standby.DisposeAsync();
        if (Primary is not null) await Primary.DisposeAsync();
        try { Directory.Delete(_root, recursive: true); }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
    }
}
