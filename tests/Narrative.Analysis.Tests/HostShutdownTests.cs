using Narrative.Testing;
using Npgsql;

namespace Narrative.Analysis.Tests;

/// <summary>What a stopping host leaves behind on the server.</summary>
[Collection(PostgresCollection.Name)]
public sealed class HostShutdownTests(PostgresFixture pg)
{
    [Fact]
    public async Task a_stopped_host_leaves_no_listen_connection_open_so_stopping_the_server_next_cuts_nothing()
    {
        var cs = await pg.CreateDatabaseAsync("stop");
        var h = await AnalysisHarness.StartOnAsync(cs);
        await h.IngestSeedsAsync();
        await h.CatchUpAsync();
        // The daemon listens for Marten's append notifications while it runs.
        Assert.Equal(1, await ListenersAsync(cs, expected: 1));

        await h.DisposeAsync();

        Assert.Equal(0, await ListenersAsync(cs, expected: 0));
    }

    /// <summary>Sessions of this database whose last statement was Marten's LISTEN, polled until it is <paramref name="expected"/> (up to 10 s).</summary>
    private static async Task<long> ListenersAsync(string cs, long expected)
    {
        await using var conn = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(cs) { Pooling = false }.ConnectionString);
        await conn.OpenAsync();
        var until = DateTime.UtcNow.AddSeconds(10);
        while (true)
        {
            await using var cmd = new NpgsqlCommand("""
                select count(*) from pg_stat_activity
                where datname = current_database() and pid <> pg_backend_pid() and query ilike 'listen %'
                """, conn);
            var n = (long)(await cmd.ExecuteScalarAsync())!;
            if (n == expected || DateTime.UtcNow > until) return n;
            await Task.Delay(100);
        }
    }
}
