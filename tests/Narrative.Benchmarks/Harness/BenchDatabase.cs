using Narrative.Storage.Postgres;
using Npgsql;

namespace Narrative.Benchmarks.Harness;

/// <summary>
/// A fresh database for one run: a new database on the NARRATIVE_DB server (dropped afterwards), or else a throwaway
/// embedded cluster in a temp folder (fsync off, deleted on dispose, like the test clusters).
/// </summary>
public sealed class BenchDatabase : IAsyncDisposable
{
    private readonly EmbeddedPostgres? _embedded;
    private readonly string? _adminConnectionString;
    private readonly string _name;

    private BenchDatabase(string connectionString, string name, string description, EmbeddedPostgres? embedded, string? adminConnectionString)
    {
        ConnectionString = connectionString;
        _name = name;
        Description = description;
        _embedded = embedded;
        _adminConnectionString = adminConnectionString;
    }

    public string ConnectionString { get; }
    public string Description { get; }

    public static async Task<BenchDatabase> StartAsync(CancellationToken ct)
    {
        var name = $"narrative_bench_{DateTime.UtcNow:yyyyMMddHHmmss}_{Environment.ProcessId}";
        var external = Environment.GetEnvironmentVariable("NARRATIVE_DB");
        if (!string.IsNullOrWhiteSpace(external))
        {
            await using (var admin = new NpgsqlConnection(external))
            {
                await admin.OpenAsync(ct);
                await using var create = new NpgsqlCommand($"create database \"{name}\"", admin);
                await create.ExecuteNonQueryAsync(ct);
            }
            var cs = new NpgsqlConnectionStringBuilder(external) { Database = name, MaxPoolSize = 50 }.ConnectionString;
            var host = new NpgsqlConnectionStringBuilder(external).Host;
            return new BenchDatabase(cs, name, $"NARRATIVE_DB server {host}, fresh database {name}", null, external);
        }

        var dir = Path.Combine(Path.GetTempPath(), $"narrative-bench-{Environment.ProcessId}-{Guid.NewGuid():N}");
        var pg = await EmbeddedPostgres.StartAsync(new EmbeddedPostgresOptions(dir) { Ephemeral = true }, ct);
        try
        {
            var cs = await pg.CreateDatabaseAsync("bench", ct);
            return new BenchDatabase(cs, "bench", $"embedded, ephemeral (fsync=off, synchronous_commit=off) in {dir}", pg, null);
        }
        catch
        {
            await pg.DisposeAsync();
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        NpgsqlConnection.ClearAllPools();
        if (_embedded is not null) await _embedded.DisposeAsync();
        if (_adminConnectionString is not null)
        {
            await using var admin = new NpgsqlConnection(_adminConnectionString);
            await admin.OpenAsync();
            await using var drop = new NpgsqlCommand($"drop database if exists \"{_name}\" with (force)", admin);
            await drop.ExecuteNonQueryAsync();
        }
    }
}
