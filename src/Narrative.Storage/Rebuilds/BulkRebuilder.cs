using System.Collections.Concurrent;
using System.Diagnostics;
using System.Threading.Channels;
using JasperFx.Events;
using Marten;
using Marten.Services;
using Npgsql;
using Serilog;

namespace Narrative.Storage.Rebuilds;

public sealed record RebuildProgress(long Processed, long Total)
{
    public double Fraction => Total == 0 ? 1 : Math.Min(1, (double)Processed / Total);
}

/// <summary>
/// The fast rebuild of an <see cref="IBulkRebuildable"/> projection, on top of Marten: loads the raw log (binary COPY
/// of <c>mt_events</c>) into a fresh shadow schema without indexes, builds the indexes afterwards, then swaps the
/// schema in. The live read model keeps serving, and Marten's daemon keeps projecting into it, during the load.
/// <para>
/// The swap agrees with the daemon through the projection's row in <c>mt_event_progression</c>: it locks that row
/// (the daemon's batch transaction updates the same row before it writes the tables, so the two never wait on each
/// other in opposite orders), catches the shadow up to exactly where the daemon has got, renames the schemas, and
/// leaves the progression at that position. The daemon then continues from there as if nothing had happened.
/// </para>
/// </summary>
public static class BulkRebuilder
{
    private const string Progression = EventStoreSetup.Schema + ".mt_event_progression";

    private static readonly ConcurrentDictionary<string, RebuildProgress> Running = new(StringComparer.Ordinal);

    /// <summary>Rebuilds in progress in this process, with their progress.</summary>
    public static RebuildProgress? ProgressOf(string projection) => Running.GetValueOrDefault(projection);

    /// <summary>Marten's shard name for a projection that is not sharded.</summary>
    public static string ShardName(string projection) => $"{projection}:All";

    public static async Task EnsureCreatedAsync(EventLog log, IBulkRebuildable projection, CancellationToken ct)
    {
        bool outdated;
        await using (var conn = await log.DataSource.OpenConnectionAsync(ct))
        await using (var tx = await conn.BeginTransactionAsync(ct))
        {
            outdated = await EnsureSchemaAsync(conn, tx, projection, ct);
            await tx.CommitAsync(ct);
        }
        if (outdated)
        {
            Log.Warning("The read model of {Projection} was built by another version; rebuilding it", projection.Name);
            await RebuildAsync(log, projection, null, ct);
        }
    }

    /// <summary>Creates the live schema if missing; true when it exists but was built for another <see cref="IBulkRebuildable.Version"/>.</summary>
    private static async Task<bool> EnsureSchemaAsync(NpgsqlConnection conn, NpgsqlTransaction tx, IBulkRebuildable projection, CancellationToken ct)
    {
        await Exec(conn, tx, $"select pg_advisory_xact_lock(hashtextextended('{Ident(projection.Name)}', 17))", ct);
        await using var exists = new NpgsqlCommand("select coalesce(obj_description(oid, 'pg_namespace'), '') from pg_namespace where nspname = $1", conn, tx);
        exists.Parameters.Add(new() { Value = projection.Schema });
        var version = await exists.ExecuteScalarAsync(ct) as string;
        if (version is not null) return version != projection.Version;
        await Exec(conn, tx, $"create schema {Ident(projection.Schema)}", ct);
        await Exec(conn, tx, $"comment on schema {Ident(projection.Schema)} is '{projection.Version.Replace("'", "", StringComparison.Ordinal)}'", ct);
        await projection.CreateTablesAsync(conn, tx, projection.Schema, ct);
        foreach (var ddl in projection.IndexStatements(projection.Schema)) await Exec(conn, tx, ddl, ct);
        // A new read model starts from the beginning of the log, whatever a dropped one had reached.
        await using var reset = new NpgsqlCommand($"delete from {Progression} where name = $1", conn, tx) { Parameters = { new() { Value = ShardName(projection.Name) } } };
        await reset.ExecuteNonQueryAsync(ct);
        return false;
    }

    /// <param name="batchSize">
    /// Events per chunk (20,000 by default): each chunk costs a COPY per table and a commit, round trips during which
    /// the database waits, and with 5,000 events those took a tenth of a rebuild's time.
    /// </param>
    public static async Task RebuildAsync(EventLog log, IBulkRebuildable projection, IProgress<RebuildProgress>? progress,
        CancellationToken ct, int? batchSize = null)
    {
        if (!Running.TryAdd(projection.Name, new RebuildProgress(0, 0)))
            throw new InvalidOperationException($"A rebuild of {projection.Name} is already running in this process");
        try
        {
            await RebuildCoreAsync(log, projection, new Tracked(projection.Name, progress), ct, batchSize ?? 20_000);
        }
        finally
        {
            Running.TryRemove(projection.Name, out _);
        }
    }

    /// <summary>
    /// Records progress for status inline, not through <see cref="Progress{T}"/>: its callbacks run later on the thread
    /// pool, and one arriving after the rebuild ended would mark the projection as rebuilding again, for good.
    /// </summary>
    private sealed class Tracked(string name, IProgress<RebuildProgress>? caller) : IProgress<RebuildProgress>
    {
        public void Report(RebuildProgress value)
        {
            Running[name] = value;
            caller?.Report(value);
        }
    }

    private static async Task RebuildCoreAsync(EventLog log, IBulkRebuildable projection, IProgress<RebuildProgress> progress,
        CancellationToken ct, int batchSize)
    {
        await using (var c = await log.DataSource.OpenConnectionAsync(ct))
        await using (var t = await c.BeginTransactionAsync(ct))
        {
            await EnsureSchemaAsync(c, t, projection, ct);
            await t.CommitAsync(ct);
        }
        var shadow = projection.Schema + "_rebuild";
        var clock = Stopwatch.StartNew();
        await using var conn = await log.DataSource.OpenConnectionAsync(ct);
        long total, ceiling;
        await using (var tx = await conn.BeginTransactionAsync(ct))
        {
            await Exec(conn, tx, $"drop schema if exists {Ident(shadow)} cascade", ct);
            await Exec(conn, tx, $"create schema {Ident(shadow)}", ct);
            await Exec(conn, tx, $"comment on schema {Ident(shadow)} is '{projection.Version.Replace("'", "", StringComparison.Ordinal)}'", ct);
            await projection.CreateTablesAsync(conn, tx, shadow, ct);
            // Autovacuum would start on the half-loaded tables (their inserts pass its threshold early) and compete with
            // the load for the same cores. The swap turns it back on.
            foreach (var table in await TablesAsync(conn, tx, shadow, ct))
                await Exec(conn, tx, $"alter table {Ident(shadow)}.{Ident(table)} set (autovacuum_enabled = false)", ct);
            ceiling = await SafeCeilingAsync(conn, tx, projection.Name, ct);
            await using var count = new NpgsqlCommand($"select count(*) from {EventStoreSetup.Schema}.mt_events where seq_id <= $1", conn, tx)
                { Parameters = { new() { Value = ceiling } } };
            total = (long)(await count.ExecuteScalarAsync(ct))!;
            await tx.CommitAsync(ct);
        }
        Log.Information("Rebuilding {Projection} from {Total} events (up to position {Ceiling})", projection.Name, total, ceiling);

        var loader = projection.CreateRebuildLoader();
        var processed = await LoadAsync(log, loader, conn, shadow, ceiling, total, progress, batchSize, ct);
        Log.Information("Rebuilding {Projection}: loaded {Processed} events in {Seconds:0.0}s", projection.Name, processed, clock.Elapsed.TotalSeconds);

        var statements = projection.IndexStatements(shadow);
        Log.Information("Rebuilding {Projection}: building {Count} indexes", projection.Name, statements.Count);
        await RunInParallelAsync(log, statements, ct);
        Log.Information("Rebuilding {Projection}: indexes built at {Seconds:0.0}s", projection.Name, clock.Elapsed.TotalSeconds);
        await using (var tx = await conn.BeginTransactionAsync(ct))
        {
            await loader.CompleteAsync(conn, tx, shadow, ct);
            await tx.CommitAsync(ct);
        }
        Log.Information("Rebuilding {Projection}: deferred work done at {Seconds:0.0}s", projection.Name, clock.Elapsed.TotalSeconds);

        // Fresh tables have no statistics; without them the planner picks sequential scans for every point-in-time query.
        var names = await TablesAsync(conn, null, shadow, ct);
        await RunInParallelAsync(log, [.. names.Select(t => $"analyze {Ident(shadow)}.{Ident(t)}")], ct);
        Log.Information("Rebuilding {Projection}: statistics gathered at {Seconds:0.0}s", projection.Name, clock.Elapsed.TotalSeconds);

        var final = await SwapAsync(log, projection, conn, shadow, names, ceiling, ct);
        progress.Report(new RebuildProgress(total, total));
        Log.Information("Rebuilt {Projection}: {Processed} events loaded, swapped in at position {Position} after {Seconds:0.0}s",
            projection.Name, processed, final, clock.Elapsed.TotalSeconds);
    }

    /// <summary>
    /// How far the load may read without passing an append that has not committed yet: where the daemon has got with this
    /// projection or, if it has never run it, Marten's high-water mark. Both are positions the daemon has checked with
    /// transaction evidence; past them an open transaction may still commit an event with a lower position.
    /// </summary>
    private static async Task<long> SafeCeilingAsync(NpgsqlConnection conn, NpgsqlTransaction tx, string name, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand($"""
            select coalesce((select last_seq_id from {Progression} where name = $1),
                            (select last_seq_id from {Progression} where name = 'HighWaterMark'), 0)
            """, conn, tx) { Parameters = { new() { Value = ShardName(name) } } };
        return (long)(await cmd.ExecuteScalarAsync(ct))!;
    }

    /// <summary>
    /// Catches the shadow up to the daemon's progression under that row's lock, swaps the schemas and leaves the
    /// progression at the position the new tables hold, in one transaction. Returns that position.
    /// </summary>
    private static async Task<long> SwapAsync(EventLog log, IBulkRebuildable projection, NpgsqlConnection conn, string shadow,
        IReadOnlyList<string> tables, long ceiling, CancellationToken ct)
    {
        await using var tx = await conn.BeginTransactionAsync(ct);
        var shard = ShardName(projection.Name);
        await using (var insert = new NpgsqlCommand($"""
            insert into {Progression} (name, last_seq_id, last_updated) values ($1, $2, transaction_timestamp()) on conflict (name) do nothing
            """, conn, tx))
        {
            insert.Parameters.Add(new() { Value = shard });
            insert.Parameters.Add(new() { Value = ceiling });
            await insert.ExecuteNonQueryAsync(ct);
        }
        long live;
        await using (var lockRow = new NpgsqlCommand($"select last_seq_id from {Progression} where name = $1 for update", conn, tx))
        {
            lockRow.Parameters.Add(new() { Value = shard });
            live = (long)(await lockRow.ExecuteScalarAsync(ct))!;
        }
        // The daemon has gone on while we loaded: replay what it projected since, so the swap changes nothing a reader can see.
        if (live > ceiling)
        {
            await using var session = log.Store.QuerySession(SessionOptions.ForTransaction(tx));
            var events = await session.Events.QueryAllRawEvents()
                .Where(e => e.Sequence > ceiling && e.Sequence <= live).OrderBy(e => e.Sequence).ToListAsync(ct);
            if (events.Count > 0) await projection.ApplyAsync(conn, tx, shadow, events, ct);
        }
        var final = Math.Max(live, ceiling);
        if (final != live)
        {
            await using var move = new NpgsqlCommand($"update {Progression} set last_seq_id = $2, last_updated = transaction_timestamp() where name = $1", conn, tx);
            move.Parameters.Add(new() { Value = shard });
            move.Parameters.Add(new() { Value = final });
            await move.ExecuteNonQueryAsync(ct);
        }
        var old = projection.Schema + "_old";
        await Exec(conn, tx, $"drop schema if exists {Ident(old)} cascade", ct);
        await Exec(conn, tx, $"alter schema {Ident(projection.Schema)} rename to {Ident(old)}", ct);
        await Exec(conn, tx, $"alter schema {Ident(shadow)} rename to {Ident(projection.Schema)}", ct);
        await Exec(conn, tx, $"drop schema {Ident(old)} cascade", ct);
        foreach (var table in tables)
            await Exec(conn, tx, $"alter table {Ident(projection.Schema)}.{Ident(table)} reset (autovacuum_enabled)", ct);
        await tx.CommitAsync(ct);
        return final;
    }

    /// <summary>
    /// Feeds the raw log (a binary COPY on its own connection) to the loader, which turns each event into rows, and
    /// writes the loader's chunks into the index-free shadow tables on two connections: while one commits, or waits for
    /// the next chunk, the other keeps the database busy (chunks only add rows, so their order does not matter).
    /// </summary>
    private static async Task<long> LoadAsync(EventLog log, IRebuildLoader loader, NpgsqlConnection conn, string shadow, long ceiling,
        long total, IProgress<RebuildProgress> progress, int batchSize, CancellationToken ct)
    {
        long processed = 0;
        var gate = new object();
        var chunks = Channel.CreateBounded<(IRebuildChunk Chunk, int Count)>(4);
        var producer = Task.Run(async () =>
        {
            try
            {
                await using var source = await OpenBulkReaderAsync(log, ct);
                await using var reader = await RawLogReader.OpenAsync(source, ceiling, ct);
                var count = 0;
                while (await reader.NextAsync(ct))
                {
                    loader.Add(reader.Current);
                    if (++count < batchSize) continue;
                    await chunks.Writer.WriteAsync((loader.TakeChunk(), count), ct);
                    count = 0;
                }
                if (count > 0) await chunks.Writer.WriteAsync((loader.TakeChunk(), count), ct);
                chunks.Writer.Complete();
            }
            catch (Exception ex)
            {
                chunks.Writer.TryComplete(ex);
            }
        }, ct);

        async Task WriterAsync(int index)
        {
            try
            {
                await using var own = index == 0 ? null : await log.DataSource.OpenConnectionAsync(ct);
                var c = own ?? conn;
                // The shadow schema is invisible until the swap, whose commit is durable; a crash before it only loses a
                // rebuild that starts again from the beginning. So the chunks' commits need not wait for the WAL.
                await Exec(c, null, "set synchronous_commit = off", ct);
                await foreach (var (chunk, count) in chunks.Reader.ReadAllAsync(ct))
                {
                    await using (var tx = await c.BeginTransactionAsync(ct))
                    {
                        await chunk.WriteAsync(c, tx, shadow, ct);
                        await tx.CommitAsync(ct);
                    }
                    lock (gate)
                    {
                        processed += count;
                        progress.Report(new RebuildProgress(processed, Math.Max(total, processed)));
                    }
                }
                await Exec(c, null, "reset synchronous_commit", ct);
            }
            catch (Exception ex)
            {
                // Stop the producer (it may be waiting for room in the channel) and the other writer.
                chunks.Writer.TryComplete(ex);
                throw;
            }
        }

        await Task.WhenAll(WriterAsync(0), WriterAsync(1));
        await producer;
        return processed;
    }

    /// <summary>
    /// A connection for reading the whole log, with a 1 MB read buffer instead of Npgsql's 8 KB. The log arrives as a
    /// million small COPY messages; with the small buffer the reader drained it every few dozen rows and went back to
    /// the socket asynchronously, a trip through the thread pool each time.
    /// </summary>
    private static async Task<NpgsqlConnection> OpenBulkReaderAsync(EventLog log, CancellationToken ct)
    {
        await using var template = log.DataSource.CreateConnection();
        var settings = new NpgsqlConnectionStringBuilder(template.ConnectionString) { ReadBufferSize = BulkReadBufferSize };
        var conn = await template.CloneWithAsync(settings.ConnectionString, ct);
        if (conn.State != System.Data.ConnectionState.Open) await conn.OpenAsync(ct);
        return conn;
    }

    private const int BulkReadBufferSize = 1 << 20;

    /// <summary>
    /// Runs statements on a loaded shadow schema (index builds, analyze) a few at a time on separate connections: each
    /// is mostly CPU on one table, so running them side by side uses the machine's cores.
    /// </summary>
    private static async Task RunInParallelAsync(EventLog log, IReadOnlyList<string> statements, CancellationToken ct)
    {
        var queue = new ConcurrentQueue<string>(statements);
        // At least three: with two workers on two cores, an odd big build runs alone at the end while the other core
        // idles; one worker more than there are cores keeps both busy.
        var workers = Enumerable.Range(0, Math.Min(statements.Count, Math.Max(3, Environment.ProcessorCount))).Select(async _ =>
        {
            await using var conn = await log.DataSource.OpenConnectionAsync(ct);
            // One core per build: these already run side by side, so parallel workers inside a build only add overhead.
            await Exec(conn, null, "set maintenance_work_mem = '256MB'; set max_parallel_maintenance_workers = 0", ct);
            while (queue.TryDequeue(out var ddl)) await Exec(conn, null, ddl, ct);
        });
        await Task.WhenAll(workers);
    }

    private static async Task<List<string>> TablesAsync(NpgsqlConnection conn, NpgsqlTransaction? tx, string schema, CancellationToken ct)
    {
        var names = new List<string>();
        await using var cmd = new NpgsqlCommand("select tablename from pg_tables where schemaname = $1 order by tablename", conn, tx);
        cmd.Parameters.Add(new() { Value = schema });
        await using var r = await cmd.ExecuteReaderAsync(ct);
        while (await r.ReadAsync(ct)) names.Add(r.GetString(0));
        return names;
    }

    internal static string Ident(string name) =>
        System.Text.RegularExpressions.Regex.IsMatch(name, "^[a-z_][a-z0-9_]{0,62}$")
            ? name
            : throw new ArgumentException($"Not a safe identifier: {name}");

    private static async Task Exec(NpgsqlConnection conn, NpgsqlTransaction? tx, string sql, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand(sql, conn, tx) { CommandTimeout = 0 };
        await cmd.ExecuteNonQueryAsync(ct);
    }
}
