using Narrative.Storage.Postgres;
using Narrative.Testing;
using Npgsql;

namespace Narrative.Storage.Tests;

[Collection(PostgresCollection.Name)]
public sealed class EmbeddedPostgresTests(PostgresFixture pg)
{
    [Fact]
    public async Task every_test_database_lives_on_the_one_shared_cluster()
    {
        var started = new List<DateTime>();
        for (var i = 0; i < 2; i++)
        {
            await using var db = NpgsqlDataSource.Create(await pg.CreateDatabaseAsync());
            await using var cmd = db.CreateCommand("select pg_postmaster_start_time()");
            started.Add((DateTime)(await cmd.ExecuteScalarAsync())!);
        }
        Assert.Single(started.Distinct());
    }

    [Fact]
    public async Task a_cluster_restarts_over_a_stale_pid_file_ends_abandoned_transactions_and_stops_cleanly_on_dispose()
    {
        var dir = Path.Combine(Path.GetTempPath(), $"narrative-launcher-{Guid.NewGuid():N}");
        int pid;
        await using (var first = await EmbeddedPostgres.StartAsync(new EmbeddedPostgresOptions(dir), default))
        {
            pid = ServerPid(dir);
            await first.StopAsync(default);
        }
        Assert.False(File.Exists(Path.Combine(dir, "postmaster.pid")));
        Assert.False(IsRunning(pid));

        // A crash leaves postmaster.pid behind, naming a pid that is no longer a postgres server.
        await File.WriteAllTextAsync(Path.Combine(dir, "postmaster.pid"), $"{Environment.ProcessId}\n{dir}\n0\n5432\n");
        await using (var second = await EmbeddedPostgres.StartAsync(new EmbeddedPostgresOptions(dir) { Ephemeral = true }, default))
        {
            await using var conn = new NpgsqlConnection(second.ConnectionString());
            await conn.OpenAsync();
            await using var cmd = new NpgsqlCommand("select 41 + 1", conn);
            Assert.Equal(42, await cmd.ExecuteScalarAsync());
            // Marten's daemon waits for any live transaction that could fill a gap: an abandoned one must end.
            await using var timeout = new NpgsqlCommand("show idle_in_transaction_session_timeout", conn);
            Assert.Equal("1min", await timeout.ExecuteScalarAsync());
            pid = ServerPid(dir);
        }
        Assert.False(IsRunning(pid));
        Assert.False(Directory.Exists(dir));
    }

    // A stopped server may linger as a zombie until its (re)parent reaps it; that is not running.
    private static bool IsRunning(int pid)
    {
        try { return File.ReadAllText($"/proc/{pid}/stat").Split(' ')[2] != "Z"; }
        catch (IOException) { return false; }
    }

    private static int ServerPid(string dir) => int.Parse(File.ReadLines(Path.Combine(dir, "postmaster.pid")).First(), System.Globalization.CultureInfo.InvariantCulture);
}
