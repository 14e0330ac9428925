using DotNet.Testcontainers.Configurations;
using Narrative.Storage.Postgres;
using Npgsql;
using Testcontainers.PostgreSql;
using Xunit;

namespace Narrative.Testing;

/// <summary>
/// One throwaway PostgreSQL server per test assembly, and a fresh database per test class, created before it runs.
/// The server is the one in NARRATIVE_DB if set; else a Testcontainers <c>postgres:15</c> container when a Docker engine
/// is reachable; else an embedded cluster from the machine's binaries. NARRATIVE_TEST_DB=embedded|docker forces the
/// choice. Nothing is cleaned up "after": the container or cluster is deleted on disposal.
/// </summary>
public sealed class PostgresFixture : IAsyncLifetime
{
    public const string ChoiceVariable = "NARRATIVE_TEST_DB";
    private const string Image = "postgres:15";

    private static int _counter;
    private NpgsqlDataSource? _admin;
    private PostgreSqlContainer? _container;

    /// <summary>The embedded cluster, when that is what the tests run on (null for Docker or NARRATIVE_DB).</summary>
    public EmbeddedPostgres? Server { get; private set; }
    public string AdminConnectionString { get; private set; } = "";

    /// <summary>Which server the tests run on, for the test output.</summary>
    public string Description { get; private set; } = "";

    public async Task InitializeAsync()
    {
        var external = Environment.GetEnvironmentVariable("NARRATIVE_DB");
        var choice = Environment.GetEnvironmentVariable(ChoiceVariable)?.Trim().ToLowerInvariant();
        if (choice is { Length: > 0 } and not ("embedded" or "docker"))
            throw new InvalidOperationException($"{ChoiceVariable}={choice} is not understood: use 'embedded' or 'docker' (or leave it unset).");

        if (!string.IsNullOrWhiteSpace(external))
        {
            AdminConnectionString = external;
            Description = $"PostgreSQL from NARRATIVE_DB ({new NpgsqlConnectionStringBuilder(external).Host})";
        }
        else if (choice == "docker" || (choice != "embedded" && DockerReachable()))
        {
            if (choice == "docker" && !DockerReachable())
                throw new InvalidOperationException(
                    $"{ChoiceVariable}=docker but no Docker engine is reachable (checked DOCKER_HOST, ~/.testcontainers.properties and the local socket). " +
                    $"Start Docker, or unset {ChoiceVariable} to use the embedded cluster.");
            // The same setting as the embedded cluster (see EmbeddedPostgres): an abandoned transaction must not stall the daemon.
            _container = new PostgreSqlBuilder(Image)
                .WithCommand("-c", "max_connections=300", "-c", "idle_in_transaction_session_timeout=60s")
                .Build();
            await _container.StartAsync();
            AdminConnectionString = _container.GetConnectionString();
            Description = $"PostgreSQL from Testcontainers ({Image})";
        }
        else
        {
            var dir = Path.Combine(Path.GetTempPath(), $"narrative-test-{Environment.ProcessId}-{Guid.NewGuid():N}");
            Server = await EmbeddedPostgres.StartAsync(new EmbeddedPostgresOptions(dir) { Ephemeral = true, MaxConnections = 300 }, CancellationToken.None);
            AdminConnectionString = Server.ConnectionString();
            Description = $"PostgreSQL embedded cluster from {Server.BinDirectory}";
        }
        // dotnet test shows a fixture's console output only at normal verbosity, so ./ops/test also collects the line
        // from the file named by NARRATIVE_TEST_REPORT and prints it after the run.
        var line = $"Narrative tests: {Description}";
        await Console.Error.WriteLineAsync(line);
        if (Environment.GetEnvironmentVariable("NARRATIVE_TEST_REPORT") is { Length: > 0 } report)
            await File.AppendAllTextAsync(report, line + Environment.NewLine);
        _admin = NpgsqlDataSource.Create(AdminConnectionString);
    }

    /// <summary>
    /// Whether a Docker engine answers. Testcontainers resolves the endpoint (DOCKER_HOST, its properties file, the
    /// default socket) lazily and leaves it null when none is reachable; resolving can also throw on a broken config.
    /// </summary>
    private static bool DockerReachable()
    {
        try
        {
            return TestcontainersSettings.OS.DockerEndpointAuthConfig is not null;
        }
#pragma warning disable CA1031 // Any failure to find Docker means "no Docker": the embedded cluster is the fallback.
        catch (Exception)
#pragma warning restore CA1031
        {
            return false;
        }
    }

    /// <summary>Creates an empty database and returns its connection string. Marten creates its schema on first use.</summary>
    public async Task<string> CreateDatabaseAsync(string prefix = "t")
    {
        var name = $"{prefix}_{Interlocked.Increment(ref _counter)}_{Guid.NewGuid():N}";
        await using (var cmd = _admin!.CreateCommand($"create database \"{name}\""))
            await cmd.ExecuteNonQueryAsync();
        return new NpgsqlConnectionStringBuilder(AdminConnectionString) { Database = name, MaxPoolSize = 40 }.ConnectionString;
    }

    public async Task DisposeAsync()
    {
        if (_admin is not null) await _admin.DisposeAsync();
        NpgsqlConnection.ClearAllPools();
        if (Server is not null) await Server.DisposeAsync();
        if (_container is not null) await _container.DisposeAsync();
    }
}
