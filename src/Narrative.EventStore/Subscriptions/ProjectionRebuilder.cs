using System.Threading.Channels;
using Npgsql;
using Serilog;

namespace Narrative.EventStore.Subscriptions;

public sealed record RebuildProgress(long Processed, long Total)
{
    public double Fraction => Total == 0 ? 1 : Math.Min(1, (double)Processed / Total);
}

/// <summary>
/// Rebuilds a projection from position 0 into a fresh schema, then swaps it in. The live read model keeps serving
/// (and the live daemon keeps processing) during the replay; the swap takes the projection's batch lock, catches the
/// shadow up to the live checkpoint, renames the schemas and keeps the checkpoint, all in one transaction.
/// </summary>
public static class ProjectionRebuilder
{
    public static async Task EnsureCreatedAsync(EventStore store, IRebuildableProjection projection, CancellationToken ct)
    {
        bool outdated;
        await using (var conn = await store.DataSource.OpenConnectionAsync(ct))
        await using (var tx = await conn.BeginTransactionAsync(ct))
        {
            outdated = await EnsureSchemaAsync(conn, tx, projection, ct);
            await tx.CommitAsync(ct);
        }
        if (outdated)
        {
            Log.Warning("The read model of {Projection} was built by another version; rebuilding it", projection.Name);
            await RebuildAsync(store, projection, null, ct);
        }
    }

    /// <summary>Creates the live schema if missing; true when it exists but was built for another <see cref="IRebuildableProjection.Version"/>.</summary>
    private static async Task<bool> EnsureSchemaAsync(NpgsqlConnection conn, NpgsqlTransaction tx, IRebuildableProjection projection, CancellationToken ct)
    {
        await Exec(conn, tx, $"select pg_advisory_xact_lock({SubscriptionRunner.BatchLockKey(projection.Name)})", ct);
        await using var exists = new NpgsqlCommand("select coalesce(obj_description(oid, 'pg_namespace'), '') from pg_namespace where nspname = $1", conn, tx);
        exists.Parameters.Add(new() { Value = projection.Schema });
        var version = await exists.ExecuteScalarAsync(ct) as string;
        if (version is not null) return version != projection.Version;
        {
            await Exec(conn, tx, $"create schema {Ident(projection.Schema)}", ct);
            await Exec(conn, tx, $"comment on schema {Ident(projection.Schema)} is '{projection.Version.Replace("'", "", StringComparison.Ordinal)}'", ct);
            await projection.CreateTablesAsync(conn, tx, projection.Schema, ct);
            foreach (var ddl in projection.IndexStatements(projection.Schema)) await Exec(conn, tx, ddl, ct);
            await using var cp = new NpgsqlCommand(
                "insert into checkpoints (name, kind) values ($1, $2) on conflict (name) do update set tx_id = 0, position = 0", conn, tx);
            cp.Parameters.Add(new() { Value = projection.Name });
            cp.Parameters.Add(new() { Value = projection.Kind });
            await cp.ExecuteNonQueryAsync(ct);
        }
        return false;
    }

    /// <param name="batchSize">
    /// Events per transaction. By default 2,000 through <see cref="ISubscription.HandleAsync"/>, and 20,000 into a bulk
    /// loader: each of its transactions also costs a COPY per table and a commit, round trips during which the database
    /// waits, and with 5,000 events those took a tenth of a rebuild's time.
    /// </param>
    public static async Task RebuildAsync(EventStore store, IRebuildableProjection projection, IProgress<RebuildProgress>? progress,
        CancellationToken ct, int? batchSize = null)
    {
        await using (var c = await store.DataSource.OpenConnectionAsync(ct))
        await using (var t = await c.BeginTransactionAsync(ct))
        {
            await EnsureSchemaAsync(c, t, projection, ct);
            await t.CommitAsync(ct);
        }
        var shadow = projection.Schema + "_rebuild";
        var loader = projection.CreateRebuildLoader(store.Types);
        var replayBatch = batchSize ?? 2000;
        var loadBatch = batchSize ?? 20_000;
        var clock = System.Diagnostics.Stopwatch.StartNew();
        await using var conn = await store.DataSource.OpenConnectionAsync(ct);
        long total;
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
            // Without a bulk loader the replay goes through HandleAsync, which may rely on the indexes.
            if (loader is null)
                foreach (var ddl in projection.IndexStatements(shadow)) await Exec(conn, tx, ddl, ct);
            await using var count = new NpgsqlCommand("select count(*) from events", conn, tx);
            total = (long)(await count.ExecuteScalarAsync(ct))!;
            await tx.CommitAsync(ct);
        }
        Log.Information("Rebuilding {Projection} from {Total} events", projection.Name, total);

        var (cursor, processed) = loader is null
            ? await ReplayAsync(store, projection, conn, shadow, total, progress, replayBatch, ct)
            : await LoadAsync(store, projection.Name, loader, conn, shadow, total, progress, loadBatch, ct);
        Log.Information("Rebuilding {Projection}: replayed {Processed} events in {Seconds:0.0}s", projection.Name, processed, clock.Elapsed.TotalSeconds);

        if (loader is not null)
        {
            var statements = projection.IndexStatements(shadow);
            Log.Information("Rebuilding {Projection}: building {Count} indexes", projection.Name, statements.Count);
            await RunInParallelAsync(store, statements, ct);
            Log.Information("Rebuilding {Projection}: indexes built at {Seconds:0.0}s", projection.Name, clock.Elapsed.TotalSeconds);
            await using var tx = await conn.BeginTransactionAsync(ct);
            await loader.CompleteAsync(new SubscriptionBatch(conn, tx, store, [], shadow), ct);
            await tx.CommitAsync(ct);
            Log.Information("Rebuilding {Projection}: deferred work done at {Seconds:0.0}s", projection.Name, clock.Elapsed.TotalSeconds);
        }

        // Fresh tables have no statistics; without them the planner picks sequential scans for every point-in-time query.
        var names = await TablesAsync(conn, null, shadow, ct);
        await RunInParallelAsync(store, [.. names.Select(t => $"analyze {Ident(shadow)}.{Ident(t)}")], ct);
        Log.Information("Rebuilding {Projection}: statistics gathered at {Seconds:0.0}s", projection.Name, clock.Elapsed.TotalSeconds);

        await using (var tx = await conn.BeginTransactionAsync(ct))
        {
            await Exec(conn, tx, $"select pg_advisory_xact_lock({SubscriptionRunner.BatchLockKey(projection.Name)})", ct);
            var live = GlobalCursor.Start;
            await using (var cp = new NpgsqlCommand("select tx_id, position from checkpoints where name = $1", conn, tx))
            {
                cp.Parameters.Add(new() { Value = projection.Name });
                await using var r = await cp.ExecuteReaderAsync(ct);
                if (await r.ReadAsync(ct)) live = new GlobalCursor(r.GetInt64(0), r.GetInt64(1));
            }
            // Catch the shadow up to exactly where the live model is, so the swap changes nothing a reader could see.
            while (cursor.CompareTo(live) < 0)
            {
                var events = (await store.ReadAllAsync(conn, tx, cursor, replayBatch, ct)).Where(e => e.Cursor.CompareTo(live) <= 0).ToList();
                if (events.Count == 0) break;
                await projection.HandleAsync(new SubscriptionBatch(conn, tx, store, events, shadow), ct);
                cursor = events[^1].Cursor;
                processed += events.Count;
            }
            var final = cursor.CompareTo(live) > 0 ? cursor : live;
            var old = projection.Schema + "_old";
            await Exec(conn, tx, $"drop schema if exists {Ident(old)} cascade", ct);
            await Exec(conn, tx, $"alter schema {Ident(projection.Schema)} rename to {Ident(old)}", ct);
            await Exec(conn, tx, $"alter schema {Ident(shadow)} rename to {Ident(projection.Schema)}", ct);
            await Exec(conn, tx, $"drop schema {Ident(old)} cascade", ct);
            foreach (var table in names)
                await Exec(conn, tx, $"alter table {Ident(projection.Schema)}.{Ident(table)} reset (autovacuum_enabled)", ct);
            await using (var cp = new NpgsqlCommand("""
                insert into checkpoints (name, kind, tx_id, position) values ($1, $2, $3, $4)
                on conflict (name) do update set tx_id = excluded.tx_id, position = excluded.position, rebuild_progress = null,
                    updated_at = now(), last_error = null, error_at = null, attempts = 0
                """, conn, tx))
            {
                cp.Parameters.Add(new() { Value = projection.Name });
                cp.Parameters.Add(new() { Value = projection.Kind });
                cp.Parameters.Add(new() { Value = final.TxId });
                cp.Parameters.Add(new() { Value = final.Position });
                await cp.ExecuteNonQueryAsync(ct);
            }
            await tx.CommitAsync(ct);
        }
        progress?.Report(new RebuildProgress(processed, processed));

        Log.Information("Rebuilt {Projection}: {Processed} events replayed and swapped in after {Seconds:0.0}s", projection.Name, processed,
            clock.Elapsed.TotalSeconds);
    }

    /// <summary>Replays through <see cref="ISubscription.HandleAsync"/> into the indexed shadow tables, batch by batch.</summary>
    private static Task<(GlobalCursor Cursor, long Processed)> ReplayAsync(EventStore store, IRebuildableProjection projection,
        NpgsqlConnection conn, string shadow, long total, IProgress<RebuildProgress>? progress, int batchSize, CancellationToken ct) =>
        PipeAsync<List<StoredEvent>>(store, projection.Name, conn, total, progress, async batches =>
        {
            var batch = new List<StoredEvent>(batchSize);
            await foreach (var e in store.StreamAllAsync(GlobalCursor.Start, ct))
            {
                batch.Add(e);
                if (batch.Count < batchSize) continue;
                await batches.WriteAsync((batch, e.Cursor, batch.Count), ct);
                batch = new List<StoredEvent>(batchSize);
            }
            if (batch.Count > 0) await batches.WriteAsync((batch, batch[^1].Cursor, batch.Count), ct);
        }, (events, c, tx) => projection.HandleAsync(new SubscriptionBatch(c, tx, store, events, shadow), ct), ct);

    /// <summary>
    /// Feeds the raw log (a binary COPY on its own connection) to a bulk loader, which turns each event into rows, and
    /// writes the loader's chunks into the index-free shadow tables on two connections: while one commits, or waits for
    /// the next chunk, the other keeps the database busy (chunks only add rows, so their order does not matter).
    /// </summary>
    private static Task<(GlobalCursor Cursor, long Processed)> LoadAsync(EventStore store, string name, IRebuildLoader loader,
        NpgsqlConnection conn, string shadow, long total, IProgress<RebuildProgress>? progress, int batchSize, CancellationToken ct) =>
        PipeAsync<IRebuildChunk>(store, name, conn, total, progress, async chunks =>
        {
            await using var source = await OpenBulkReaderAsync(store, ct);
            await using var log = await RawLogReader.OpenAsync(source, ct);
            var last = GlobalCursor.Start;
            var count = 0;
            while (await log.NextAsync(ct))
            {
                loader.Add(log.Current);
                last = log.Cursor;
                if (++count < batchSize) continue;
                await chunks.WriteAsync((loader.TakeChunk(), last, count), ct);
                count = 0;
            }
            if (count > 0) await chunks.WriteAsync((loader.TakeChunk(), last, count), ct);
        }, (chunk, c, tx) => chunk.WriteAsync(c, tx, shadow, ct), ct, writers: 2);

    /// <summary>
    /// A connection for reading the whole log: like the store's, with a 1 MB read buffer instead of Npgsql's 8 KB.
    /// The log arrives as a million small COPY messages; with the small buffer the reader drained it every few dozen
    /// rows and went back to the socket asynchronously, a trip through the thread pool each time.
    /// </summary>
    private static async Task<NpgsqlConnection> OpenBulkReaderAsync(EventStore store, CancellationToken ct)
    {
        await using var template = store.DataSource.CreateConnection();
        var settings = new NpgsqlConnectionStringBuilder(template.ConnectionString) { ReadBufferSize = BulkReadBufferSize };
        var conn = await template.CloneWithAsync(settings.ConnectionString, ct);
        if (conn.State != System.Data.ConnectionState.Open) await conn.OpenAsync(ct);
        return conn;
    }

    private const int BulkReadBufferSize = 1 << 20;

    /// <summary>
    /// The replay's overlapping halves: <paramref name="produce"/> runs on its own thread and fills batches in log
    /// order (each with the cursor of its last event and its event count), while <paramref name="writers"/> writers
    /// write each batch in its own transaction, the first on <paramref name="conn"/>, and report progress. With more
    /// than one writer, batches are written out of order: only for batches that do not depend on one another.
    /// </summary>
    private static async Task<(GlobalCursor Cursor, long Processed)> PipeAsync<T>(EventStore store, string name, NpgsqlConnection conn,
        long total, IProgress<RebuildProgress>? progress, Func<ChannelWriter<(T Batch, GlobalCursor Last, int Count)>, Task> produce,
        Func<T, NpgsqlConnection, NpgsqlTransaction, Task> write, CancellationToken ct, int writers = 1)
    {
        var cursor = GlobalCursor.Start;
        long processed = 0;
        var saved = 0L;
        var gate = new object();
        var batches = Channel.CreateBounded<(T Batch, GlobalCursor Last, int Count)>(4);
        var producer = Task.Run(async () =>
        {
            try
            {
                await produce(batches.Writer);
                batches.Writer.Complete();
            }
            catch (Exception ex)
            {
                batches.Writer.TryComplete(ex);
            }
        }, ct);

        async Task WriteAllAsync(NpgsqlConnection c)
        {
            // The shadow schema is invisible until the swap, whose commit is durable; a crash before it only loses a
            // rebuild that starts again from the beginning. So the batches' commits need not wait for the WAL to reach the disk.
            await Exec(c, null, "set synchronous_commit = off", ct);
            await foreach (var (batch, last, count) in batches.Reader.ReadAllAsync(ct))
            {
                await using (var tx = await c.BeginTransactionAsync(ct))
                {
                    await write(batch, c, tx);
                    await tx.CommitAsync(ct);
                }
                bool save;
                RebuildProgress p;
                lock (gate)
                {
                    if (last.CompareTo(cursor) > 0) cursor = last;
                    processed += count;
                    p = new RebuildProgress(processed, Math.Max(total, processed));
                    progress?.Report(p);
                    // The stored fraction (for `projections status` elsewhere) a few times a second, not once per batch:
                    // each is a statement and a commit of its own, on the path that feeds the database.
                    save = System.Diagnostics.Stopwatch.GetElapsedTime(saved) >= ProgressInterval;
                    if (save) saved = System.Diagnostics.Stopwatch.GetTimestamp();
                }
                if (save) await SetProgressAsync(store, name, p.Fraction, ct);
            }
            await Exec(c, null, "reset synchronous_commit", ct);
        }

        async Task WriterAsync(int index)
        {
            try
            {
                await using var own = index == 0 ? null : await store.DataSource.OpenConnectionAsync(ct);
                await WriteAllAsync(own ?? conn);
            }
            catch (Exception ex)
            {
                // Stop the producer (it may be waiting for room in the channel) and the other writers.
                batches.Writer.TryComplete(ex);
                throw;
            }
        }

        await Task.WhenAll(Enumerable.Range(0, writers).Select(WriterAsync));
        await producer;
        return (cursor, processed);
    }

    /// <summary>
    /// Runs statements on a loaded shadow schema (index builds, analyze) a few at a time on separate connections: each
    /// is mostly CPU on one table, so running them side by side uses the machine's cores.
    /// </summary>
    private static async Task RunInParallelAsync(EventStore store, IReadOnlyList<string> statements, CancellationToken ct)
    {
        var queue = new System.Collections.Concurrent.ConcurrentQueue<string>(statements);
        // At least three: with two workers on two cores, an odd big build runs alone at the end while the other core
        // idles; one worker more than there are cores keeps both busy.
        var workers = Enumerable.Range(0, Math.Min(statements.Count, Math.Max(3, Environment.ProcessorCount))).Select(async _ =>
        {
            await using var conn = await store.DataSource.OpenConnectionAsync(ct);
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

    private static readonly TimeSpan ProgressInterval = TimeSpan.FromMilliseconds(250);

    private static async Task SetProgressAsync(EventStore store, string name, double fraction, CancellationToken ct)
    {
        await using var cmd = store.DataSource.CreateCommand("update checkpoints set rebuild_progress = $2 where name = $1");
        cmd.Parameters.Add(new() { Value = name });
        cmd.Parameters.Add(new() { Value = fraction });
        await cmd.ExecuteNonQueryAsync(ct);
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
