using Narrative.Storage;
using Npgsql;

namespace Narrative.Benchmarks.Harness;

/// <summary>
/// What every scenario gets: one database, the event log over a Marten store that knows the bench payload
/// (<see cref="Scenarios.BenchEvents"/>), and the options.
/// </summary>
public sealed class BenchContext(NpgsqlDataSource db, EventLog log, BenchOptions options)
{
    public NpgsqlDataSource Db { get; } = db;
    public EventLog Log { get; } = log;
    public BenchOptions Options { get; } = options;

    public async Task ExecAsync(string sql, CancellationToken ct)
    {
        await using var cmd = Db.CreateCommand(sql);
        cmd.CommandTimeout = 0;
        await cmd.ExecuteNonQueryAsync(ct);
    }

    public async Task<T> ScalarAsync<T>(string sql, CancellationToken ct)
    {
        await using var cmd = Db.CreateCommand(sql);
        cmd.CommandTimeout = 0;
        return (T)(await cmd.ExecuteScalarAsync(ct))!;
    }
}
