using Npgsql;
using NpgsqlTypes;
using Serilog;

namespace Narrative.EventStore;

/// <summary>
/// A PostgreSQL event store over one <see cref="NpgsqlDataSource"/>.
/// <para>
/// Global order: <c>position</c> is assigned at insert, so transactions may commit out of position order.
/// Readers therefore walk (tx_id, position) and only read rows whose transaction id is below the xmin of the
/// current snapshot: every transaction below that horizon has finished, so nothing can later appear behind a
/// reader's cursor. An open append transaction holds the horizon back (readers wait, they never skip), and a
/// rolled-back one simply leaves no rows.
/// </para>
/// </summary>
public sealed class EventStore(NpgsqlDataSource db, EventTypeRegistry types)
{
    private const int AnyVersionRetries = 20;

    /// <summary>
    /// The horizon every reader of the global order applies: only rows written by transactions below the snapshot's
    /// xmin, all of which have finished, so nothing can later appear behind a reader's cursor.
    /// </summary>
    internal const string FinishedTransactions = "tx_id < (pg_snapshot_xmin(pg_current_snapshot())::text)::bigint";

    /// <summary>Advisory-lock class for "one <see cref="ExpectedVersion.Any"/> append per stream at a time" (two-int key space).</summary>
    private const int StreamLockClass = 0x4E415253;

    private long _conflictRetries;

    public NpgsqlDataSource DataSource { get; } = db;
    public EventTypeRegistry Types { get; } = types;

    /// <summary>
    /// Appends retried because another writer took the stream's next version first. Appends with
    /// <see cref="ExpectedVersion.Any"/> queue on a per-stream lock, so only a writer that states an exact version
    /// can make them retry.
    /// </summary>
    public long ConflictRetries => Interlocked.Read(ref _conflictRetries);

    /// <summary>
    /// Appends in its own transaction. A conflict of an <see cref="ExpectedVersion.Any"/> append with a writer that
    /// stated an exact version causes a retry, not an error.
    /// </summary>
    public async Task<AppendResult> AppendAsync(string streamId, ExpectedVersion expected, IReadOnlyList<EventData> events, CancellationToken ct)
    {
        for (var attempt = 1; ; attempt++)
        {
            await using var conn = await DataSource.OpenConnectionAsync(ct);
            await using var tx = await conn.BeginTransactionAsync(ct);
            try
            {
                var result = await AppendAsync(conn, tx, streamId, expected, events, ct);
                await tx.CommitAsync(ct);
                if (result.Created)
                    Log.Debug("Appended {Count} events to {Stream} at version {Version}", result.Written, streamId, result.Version);
                return result;
            }
            catch (ConcurrencyException) when (expected == ExpectedVersion.Any && attempt < AnyVersionRetries)
            {
                Interlocked.Increment(ref _conflictRetries);
                await Task.Delay(Random.Shared.Next(1, 5 * attempt), ct);
            }
            catch (DuplicateEventException)
            {
                // A concurrent writer stored the same event ids first: retry, which turns into an idempotent no-op.
                if (attempt >= AnyVersionRetries) throw;
            }
        }
    }

    /// <summary>
    /// Appends inside the caller's transaction (handlers, inline projections). Conflicts abort that transaction.
    /// With <see cref="ExpectedVersion.Any"/> the append first takes a transaction-level advisory lock on the stream,
    /// held until the caller commits, so concurrent "any version" writers to one stream queue instead of colliding on
    /// the (stream, version) key. Without it they retried, and under CPU load a writer could lose 20 times in a row.
    /// </summary>
    public async Task<AppendResult> AppendAsync(NpgsqlConnection conn, NpgsqlTransaction tx, string streamId, ExpectedVersion expected,
        IReadOnlyList<EventData> events, CancellationToken ct)
    {
        ArgumentException.ThrowIfNullOrEmpty(streamId);
        if (events.Count == 0) throw new ArgumentException("Nothing to append", nameof(events));

        var ids = events.Select(e => e.EventId).ToArray();
        long current = 0;
        byte[] previous = [];
        var existing = new List<Guid>();
        var lockStream = expected == ExpectedVersion.Any;
        await using (var batch = new NpgsqlBatch(conn, tx))
        {
            // Read committed: each statement of the batch takes a fresh snapshot, so the version read below already
            // sees the commit of whoever held the lock before us.
            if (lockStream)
                batch.BatchCommands.Add(new NpgsqlBatchCommand($"select pg_advisory_xact_lock({StreamLockClass}, hashtext($1))")
                    { Parameters = { new() { Value = streamId } } });
            batch.BatchCommands.Add(new NpgsqlBatchCommand("select stream_version, hash from events where stream_id = $1 order by stream_version desc limit 1")
                { Parameters = { new() { Value = streamId } } });
            // Idempotency: a repeated append repeats its first event id. A partial overlap surfaces as 23505 on event_id.
            batch.BatchCommands.Add(new NpgsqlBatchCommand("select event_id from events where event_id = any($1)")
                { Parameters = { new() { Value = ids.Length == 1 ? ids : ids[..1] } } });
            await using var reader = await batch.ExecuteReaderAsync(ct);
            if (lockStream) await reader.NextResultAsync(ct);
            if (await reader.ReadAsync(ct))
            {
                current = reader.GetInt32(0);
                previous = (byte[])reader[1];
            }
            await reader.NextResultAsync(ct);
            while (await reader.ReadAsync(ct)) existing.Add(reader.GetGuid(0));
        }

        if (existing.Count > 0)
        {
            if (ids.Length > 1) existing = await ExistingAsync(conn, tx, ids, ct);
            if (existing.Count == ids.Length) return new AppendResult(streamId, current, null, null, 0);
            throw new PartialDuplicateException(streamId, existing);
        }
        if (expected != ExpectedVersion.Any && expected.Value != current)
            throw new ConcurrencyException(streamId, expected, current);

        var n = events.Count;
        var streams = new string[n];
        var versions = new int[n];
        var typeNames = new string[n];
        var data = new string[n];
        var meta = new string[n];
        var occurred = new DateTime[n];
        var hashes = new byte[n][];
        using var hasher = System.Security.Cryptography.IncrementalHash.CreateHash(System.Security.Cryptography.HashAlgorithmName.SHA256);
        for (var i = 0; i < n; i++)
        {
            var e = events[i];
            streams[i] = streamId;
            versions[i] = checked((int)current + i + 1);
            typeNames[i] = Types.NameOf(e.Data.GetType());
            data[i] = Types.Serialize(e.Data);
            meta[i] = System.Text.Json.JsonSerializer.Serialize(e.Metadata ?? new EventMetadata(), Types.Json);
            var at = EventHash.Truncate(e.OccurredAt);
            occurred[i] = at.UtcDateTime;
            previous = EventHash.Compute(hasher, previous, streamId, versions[i], e.EventId, typeNames[i], at, data[i], meta[i]);
            hashes[i] = previous;
        }

        await using var insert = new NpgsqlCommand(InsertSql, conn, tx);
        insert.Parameters.Add(new NpgsqlParameter { Value = streams, NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text });
        insert.Parameters.Add(new NpgsqlParameter { Value = versions });
        insert.Parameters.Add(new NpgsqlParameter { Value = ids });
        insert.Parameters.Add(new NpgsqlParameter { Value = typeNames, NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text });
        insert.Parameters.Add(new NpgsqlParameter { Value = data, NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Json });
        insert.Parameters.Add(new NpgsqlParameter { Value = meta, NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Json });
        insert.Parameters.Add(new NpgsqlParameter { Value = occurred, NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.TimestampTz });
        insert.Parameters.Add(new NpgsqlParameter { Value = hashes, NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Bytea });
        long first = 0, last = 0;
        try
        {
            await using var reader = await insert.ExecuteReaderAsync(ct);
            await reader.ReadAsync(ct);
            first = reader.GetInt64(0);
            last = reader.GetInt64(1);
        }
        catch (PostgresException ex) when (ex.SqlState == PostgresErrorCodes.UniqueViolation && ex.ConstraintName == "events_stream_version_uq")
        {
            throw new ConcurrencyException(streamId, expected, null, ex);
        }
        catch (PostgresException ex) when (ex.SqlState == PostgresErrorCodes.UniqueViolation && ex.ConstraintName == "events_event_id_uq")
        {
            throw new DuplicateEventException(ex);
        }
        return new AppendResult(streamId, current + n, first, last, n);
    }

    private static async Task<List<Guid>> ExistingAsync(NpgsqlConnection conn, NpgsqlTransaction tx, Guid[] ids, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand("select event_id from events where event_id = any($1)", conn, tx) { Parameters = { new() { Value = ids } } };
        var list = new List<Guid>();
        await using var r = await cmd.ExecuteReaderAsync(ct);
        while (await r.ReadAsync(ct)) list.Add(r.GetGuid(0));
        return list;
    }

    private const string InsertSql = """
        with ins as (
            insert into events (stream_id, stream_version, event_id, type, data, metadata, occurred_at, hash)
            select * from unnest($1::text[], $2::int[], $3::uuid[], $4::text[], $5::json[], $6::json[], $7::timestamptz[], $8::bytea[])
            returning position)
        select min(position), max(position) from ins
        """;

    private const string Columns = "position, tx_id, stream_id, stream_version, event_id, type, data::text, metadata::text, occurred_at, recorded_at, hash";

    /// <summary>Reads a stream from a version, up to a version and/or a recorded (system) time. A missing stream reads as empty.</summary>
    public async Task<IReadOnlyList<StoredEvent>> ReadStreamAsync(string streamId, CancellationToken ct, long fromVersion = 1,
        long toVersion = int.MaxValue, DateTimeOffset? recordedUntil = null)
    {
        await using var cmd = DataSource.CreateCommand($"""
            select {Columns} from events
            where stream_id = $1 and stream_version between $2 and $3 and ($4::timestamptz is null or recorded_at <= $4)
            order by stream_version
            """);
        cmd.Parameters.Add(new NpgsqlParameter { Value = streamId });
        cmd.Parameters.Add(new NpgsqlParameter { Value = (int)Math.Clamp(fromVersion, 0, int.MaxValue) });
        cmd.Parameters.Add(new NpgsqlParameter { Value = (int)Math.Clamp(toVersion, 0, int.MaxValue) });
        cmd.Parameters.Add(new NpgsqlParameter { Value = (object?)recordedUntil?.UtcDateTime ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.TimestampTz });
        return await ReadEvents(cmd, ct);
    }

    /// <summary>
    /// Reads the next page of the global order after <paramref name="after"/>: only transactions below the snapshot
    /// horizon, in (tx_id, position) order, so a subscriber that checkpoints the last cursor never skips an event.
    /// </summary>
    public async Task<IReadOnlyList<StoredEvent>> ReadAllAsync(GlobalCursor after, int limit, CancellationToken ct)
    {
        await using var conn = await DataSource.OpenConnectionAsync(ct);
        return await ReadAllAsync(conn, null, after, limit, ct);
    }

    public async Task<IReadOnlyList<StoredEvent>> ReadAllAsync(NpgsqlConnection conn, NpgsqlTransaction? tx, GlobalCursor after, int limit, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand($"""
            select {Columns} from events
            where (tx_id, position) > ($1, $2) and {FinishedTransactions}
            order by tx_id, position
            limit $3
            """, conn, tx);
        cmd.Parameters.Add(new NpgsqlParameter { Value = after.TxId });
        cmd.Parameters.Add(new NpgsqlParameter { Value = after.Position });
        cmd.Parameters.Add(new NpgsqlParameter { Value = limit });
        return await ReadEvents(cmd, ct);
    }

    /// <summary>
    /// Streams the global order after <paramref name="after"/> in one query, yielding rows as they arrive (no pages held
    /// in memory). Same horizon rule as <see cref="ReadAllAsync(GlobalCursor, int, CancellationToken)"/>.
    /// </summary>
    public async IAsyncEnumerable<StoredEvent> StreamAllAsync(GlobalCursor after, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken ct)
    {
        await using var conn = await DataSource.OpenConnectionAsync(ct);
        await using var cmd = new NpgsqlCommand($"""
            select {Columns} from events
            where (tx_id, position) > ($1, $2) and {FinishedTransactions}
            order by tx_id, position
            """, conn) { CommandTimeout = 0 };
        cmd.Parameters.Add(new NpgsqlParameter { Value = after.TxId });
        cmd.Parameters.Add(new NpgsqlParameter { Value = after.Position });
        await using var reader = await cmd.ExecuteReaderAsync(System.Data.CommandBehavior.SequentialAccess, ct);
        while (await reader.ReadAsync(ct)) yield return ReadEvent(reader);
    }

    /// <summary>Raw log by position, for browsing (/api/events). Only finished transactions are shown.</summary>
    public async Task<IReadOnlyList<StoredEvent>> ReadByPositionAsync(long afterPosition, int limit, CancellationToken ct)
    {
        await using var cmd = DataSource.CreateCommand($"""
            select {Columns} from events
            where position > $1 and {FinishedTransactions}
            order by position limit $2
            """);
        cmd.Parameters.Add(new NpgsqlParameter { Value = afterPosition });
        cmd.Parameters.Add(new NpgsqlParameter { Value = limit });
        return await ReadEvents(cmd, ct);
    }

    /// <summary>The newest cursor a subscriber could reach now (for lag).</summary>
    public async Task<GlobalCursor> HeadAsync(CancellationToken ct)
    {
        await using var cmd = DataSource.CreateCommand($"""
            select coalesce(max(tx_id), 0), coalesce(max(position), 0) from events
            where tx_id = (select max(tx_id) from events where {FinishedTransactions})
            """);
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        await reader.ReadAsync(ct);
        return new GlobalCursor(reader.GetInt64(0), reader.GetInt64(1));
    }

    /// <summary>How many events the log holds (positions have gaps where appends rolled back, so this is not the head).</summary>
    public async Task<long> CountAsync(CancellationToken ct)
    {
        await using var cmd = DataSource.CreateCommand("select count(*) from events");
        return (long)(await cmd.ExecuteScalarAsync(ct))!;
    }

    public async Task<IReadOnlyList<StoredEvent>> ReadByIdsAsync(IReadOnlyCollection<long> positions, CancellationToken ct)
    {
        await using var cmd = DataSource.CreateCommand($"select {Columns} from events where position = any($1) order by tx_id, position");
        cmd.Parameters.Add(new NpgsqlParameter { Value = positions.ToArray() });
        return await ReadEvents(cmd, ct);
    }

    /// <summary>Recomputes every hash chain. Returns each event whose hash or link does not hold (empty when intact).</summary>
    public async Task<IReadOnlyList<VerificationFailure>> VerifyAsync(CancellationToken ct, IReadOnlyCollection<string>? streams = null,
        IProgress<long>? progress = null)
    {
        var failures = new List<VerificationFailure>();
        await using var conn = await DataSource.OpenConnectionAsync(ct);
        await using var cmd = new NpgsqlCommand($"""
            select {Columns} from events where $1::text[] is null or stream_id = any($1)
            order by stream_id, stream_version
            """, conn);
        cmd.Parameters.Add(new NpgsqlParameter { Value = (object?)streams?.ToArray() ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text });
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        string? stream = null;
        byte[] previous = [];
        long expectedVersion = 0, seen = 0;
        while (await reader.ReadAsync(ct))
        {
            var e = ReadEvent(reader);
            if (e.StreamId != stream)
            {
                stream = e.StreamId;
                previous = [];
                expectedVersion = 0;
            }
            expectedVersion++;
            if (e.Version != expectedVersion)
                failures.Add(new VerificationFailure(e.Position, e.StreamId, e.Version, $"version gap: expected {expectedVersion}"));
            var hash = EventHash.Compute(previous, e.StreamId, e.Version, e.EventId, e.Type, e.OccurredAt, e.DataJson, e.MetadataJson);
            if (!hash.AsSpan().SequenceEqual(e.Hash))
                failures.Add(new VerificationFailure(e.Position, e.StreamId, e.Version, "hash does not match content or chain"));
            // Continue the chain from the stored hash, so one tampered row is reported once, not with all its successors.
            previous = e.Hash;
            expectedVersion = e.Version;
            if (++seen % 10_000 == 0) progress?.Report(seen);
        }
        progress?.Report(seen);
        return failures;
    }

    private static async Task<IReadOnlyList<StoredEvent>> ReadEvents(NpgsqlCommand cmd, CancellationToken ct)
    {
        var list = new List<StoredEvent>();
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct)) list.Add(ReadEvent(reader));
        return list;
    }

    private static StoredEvent ReadEvent(NpgsqlDataReader r) => new(
        r.GetInt64(0), r.GetInt64(1), r.GetString(2), r.GetInt32(3), r.GetGuid(4), r.GetString(5), r.GetString(6), r.GetString(7),
        new DateTimeOffset(r.GetDateTime(8), TimeSpan.Zero), new DateTimeOffset(r.GetDateTime(9), TimeSpan.Zero), r.GetFieldValue<byte[]>(10));
}

public sealed record VerificationFailure(long Position, string StreamId, int Version, string Reason);

/// <summary>A concurrent writer stored the same event id first.</summary>
public sealed class DuplicateEventException(Exception inner) : Exception("An event with the same id was appended concurrently", inner);
