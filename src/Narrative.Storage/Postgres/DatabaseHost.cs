using Npgsql;
using Serilog;

namespace Narrative.Storage.Postgres;

/// <summary>
/// Where the data lives: the server named by a connection string (NARRATIVE_DB, ConnectionStrings:Narrative),
/// or else an embedded PostgreSQL in a data folder.
/// </summary>
public sealed class DatabaseHost : IAsyncDisposable
{
    private DatabaseHost(string connectionString, EmbeddedPostgres? embedded)
    {
        ConnectionString = connectionString;
        Embedded = embedded;
    }

    public string ConnectionString { get; }
    public EmbeddedPostgres? Embedded { get; }

    public static async Task<DatabaseHost> StartAsync(string? configured, string dataDirectory, string database, CancellationToken ct)
    {
        if (!string.IsNullOrWhiteSpace(configured))
        {
            Log.Information("Using the configured PostgreSQL server {Host}", new NpgsqlConnectionStringBuilder(configured).Host);
            return new DatabaseHost(configured, null);
        }
        var pg = await EmbeddedPostgres.StartAsync(new EmbeddedPostgresOptions(Path.Combine(dataDirectory, "pg")), ct);
        var cs = await pg.CreateDatabaseAsync(database, ct);
        return new DatabaseHost(cs, pg);
    }

    public async ValueTask DisposeAsync()
    {
        if (Embedded is not null) await Embedded.DisposeAsync();
    }
}
