using Narrative.Storage;
using Npgsql;
using Store = Narrative.Storage.EventStore;

namespace Narrative.Benchmarks.Harness;

/// <summary>What every scenario gets: one migrated database, the store over it, and the options.</summary>
public sealed class BenchContext(NpgsqlDataSource db, Store store, BenchOptions options)
{
    public NpgsqlDataSource Db { get; } = db;
    public Store Store { get; } = store;
    public EventTypeRegistry Types => Store.Types;
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
