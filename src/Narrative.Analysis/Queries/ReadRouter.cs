using System.Diagnostics;
using Narrative.Analysis.ReadModel;
using Narrative.Storage;
using Narrative.Storage.Replication;
using Npgsql;
using NpgsqlTypes;

namespace Narrative.Analysis.Queries;

/// <summary>A database a query can be served from, with its own query service (and so its own topic cache).</summary>
public sealed record ReadTarget(string Name, NpgsqlDataSource DataSource, AnalysisQueries Queries, bool IsReplica);

/// <summary>Where a query went, and whether that database had reached the token it presented (true without a token).</summary>
public sealed record ReadChoice(ReadTarget Target, bool Consistent);

/// <summary>A replica's lag behind the primary: in WAL bytes, in seconds of commits, and in log positions of the read model.</summary>
public sealed record ReplicaLag(string ReplayLsn, long? Bytes, double? Seconds);

/// <summary>
/// Sends point-in-time queries to PostgreSQL streaming replicas (round robin) and writes stay on the primary. A query
/// that presents a <see cref="ConsistencyToken"/> goes to a replica only once that replica has replayed the token's WAL
/// position and its read model has processed the token's log position, waiting at most <see cref="ConsistencyWait"/>;
/// otherwise to the primary, once its read model has got there (within the same bound). A replica that does not answer
/// is left out for a few seconds. Each target has its own <see cref="AnalysisQueries"/>, so each topic cache is tagged
/// with the read-model state of the database it was read from.
/// </summary>
public sealed class ReadRouter : IAsyncDisposable
{
    private const string ProgressSql = $"""
        select pg_last_wal_replay_lsn(), coalesce((select last_seq_id from {EventStoreSetup.Schema}.mt_event_progression
            where name = '{AnalysisProjection.ProjectionName}:All'), 0)
        """;

    private static readonly TimeSpan DownFor = TimeSpan.FromSeconds(5);
    private readonly ReadTarget[] _replicas;
    private readonly long[] _downUntil;
    private int _next;

    public ReadRouter(ReadTarget primary, IReadOnlyList<string> replicaConnectionStrings, int cachedTopics, TimeSpan consistencyWait)
    {
        Primary = primary;
        ConsistencyWait = consistencyWait;
        _replicas = [.. replicaConnectionStrings.Select((cs, i) =>
        {
            var db = new NpgsqlDataSourceBuilder(EventStoreSetup.PooledConnectionString(cs)).Build();
            return new ReadTarget($"replica-{i + 1}", db, new AnalysisQueries(db, cachedTopics), true);
        })];
        _downUntil = new long[_replicas.Length];
    }

    public ReadTarget Primary { get; }
    public IReadOnlyList<ReadTarget> Replicas => _replicas;
    public TimeSpan ConsistencyWait { get; }

    /// <summary>The token for what <paramref name="stream"/> holds now, read on the primary just after a write committed.</summary>
    public async Task<ConsistencyToken> TokenAsync(string stream, CancellationToken ct)
    {
        await using var cmd = Primary.DataSource.CreateCommand(ConsistencyToken.PrimarySql);
        cmd.Parameters.Add(new NpgsqlParameter { Value = stream });
        await using var r = await cmd.ExecuteReaderAsync(ct);
        await r.ReadAsync(ct);
        return new ConsistencyToken(r.GetFieldValue<NpgsqlLogSequenceNumber>(0), r.GetInt64(1));
    }

    public async Task<ReadChoice> ChooseAsync(ConsistencyToken? token, CancellationToken ct)
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            var start = Interlocked.Increment(ref _next);
            for (var i = 0; i < _replicas.Length; i++)
            {
                var n = (int)((uint)(start + i) % (uint)_replicas.Length);
                if (Volatile.Read(ref _downUntil[n]) > Environment.TickCount64) continue;
                var progress = await ProgressAsync(n, ct);
                if (progress is null) continue;
                if (token is not { } t || (progress.Value.Lsn >= t.Lsn && progress.Value.Position >= t.Position))
                    return new ReadChoice(_replicas[n], true);
            }
            if (token is null || _replicas.Length == 0 || clock.Elapsed >= ConsistencyWait) break;
            await Task.Delay(10, ct);
        }
        if (token is not { Position: > 0 } wanted) return new ReadChoice(Primary, true);
        // The primary holds every write; its read model may still be a moment behind the write's events.
        var primaryClock = Stopwatch.StartNew();
        while (true)
        {
            if (await ReadModelState.ReadAsync(Primary.DataSource, ct) is var state && state.Position >= wanted.Position) return new ReadChoice(Primary, true);
            if (primaryClock.Elapsed >= ConsistencyWait) return new ReadChoice(Primary, false);
            await Task.Delay(10, ct);
        }
    }

    /// <summary>Each replica's lag behind the primary, and its read model's position (null: it did not answer).</summary>
    public async Task<IReadOnlyList<(ReadTarget Replica, long? Position, ReplicaLag? Lag)>> LagAsync(CancellationToken ct)
    {
        if (_replicas.Length == 0) return [];
        NpgsqlLogSequenceNumber primaryLsn;
        await using (var cmd = Primary.DataSource.CreateCommand("select pg_current_wal_lsn()"))
            primaryLsn = (NpgsqlLogSequenceNumber)(await cmd.ExecuteScalarAsync(ct))!;
        var list = new List<(ReadTarget, long?, ReplicaLag?)>();
        foreach (var replica in _replicas)
        {
            try
            {
                await using var cmd = replica.DataSource.CreateCommand(ReplicaState.Sql);
                await using var r = await cmd.ExecuteReaderAsync(ct);
                await r.ReadAsync(ct);
                var replay = r.IsDBNull(0) ? default : r.GetFieldValue<NpgsqlLogSequenceNumber>(0);
                DateTimeOffset? last = r.IsDBNull(1) ? null : r.GetFieldValue<DateTimeOffset>(1);
                var position = await PositionAsync(replica.DataSource, ct);
                var bytes = (long)Math.Max(0, (decimal)(ulong)primaryLsn - (ulong)replay);
                // With nothing left to replay the replica is current, however long ago the last commit was.
                double? seconds = bytes == 0 ? 0 : last is { } l ? Math.Max(0, (DateTimeOffset.UtcNow - l).TotalSeconds) : null;
                list.Add((replica, position, new ReplicaLag(replay.ToString(), bytes, seconds)));
            }
            catch (NpgsqlException)
            {
                list.Add((replica, null, null));
            }
        }
        return list;
    }

    private async Task<(NpgsqlLogSequenceNumber Lsn, long Position)?> ProgressAsync(int n, CancellationToken ct)
    {
        try
        {
            await using var cmd = _replicas[n].DataSource.CreateCommand(ProgressSql);
            await using var r = await cmd.ExecuteReaderAsync(ct);
            await r.ReadAsync(ct);
            // Not in recovery (promoted, or misconfigured as a primary): it holds what it holds now, so it is current.
            var lsn = r.IsDBNull(0) ? new NpgsqlLogSequenceNumber(ulong.MaxValue) : r.GetFieldValue<NpgsqlLogSequenceNumber>(0);
            return (lsn, r.GetInt64(1));
        }
        catch (NpgsqlException ex)
        {
            Serilog.Log.Warning("Read replica {Replica} did not answer ({Error}); queries go elsewhere for {Seconds} s",
                _replicas[n].Name, ex.Message, DownFor.TotalSeconds);
            Volatile.Write(ref _downUntil[n], Environment.TickCount64 + (long)DownFor.TotalMilliseconds);
            return null;
        }
    }

    private static async Task<long> PositionAsync(NpgsqlDataSource db, CancellationToken ct) => (await ReadModelState.ReadAsync(db, ct)).Position;

    public async ValueTask DisposeAsync()
    {
        foreach (var r in _replicas) await r.DataSource.DisposeAsync();
    }
}
