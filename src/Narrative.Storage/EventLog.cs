using System.Runtime.CompilerServices;
using JasperFx.Events;
using Marten;
using Marten.Services;
using Npgsql;
using NpgsqlTypes;
using Serilog;

namespace Narrative.Storage;

/// <summary>
/// What Narrative adds to Marten's event store: appends that carry the SHA-256 hash chain (and so read the stream's
/// head first), idempotent appends by event id, verification of the chain, and fast raw reads of <c>mt_events</c>
/// for paging, audits and bulk work. Every append goes through a Marten session; nothing else writes events.
/// </summary>
public sealed class EventLog(IDocumentStore store, NpgsqlDataSource db)
{
    /// <summary>Advisory-lock class for "one <see cref="ExpectedVersion.Any"/> append per stream at a time".</summary>
    private const int StreamLockClass = 0x4E415253;

    private const string Table = EventStoreSetup.Schema + ".mt_events";

    private const string Columns =
        "seq_id, stream_id, version, id, type, data::text, correlation_id, causation_id, user_name, timestamp, headers->>'sha256'";

    public IDocumentStore Store { get; } = store;
    public NpgsqlDataSource DataSource { get; } = db;

    /// <summary>The stable name Marten stores for an event type (its alias, never the CLR name).</summary>
    public string TypeName(Type type) =>
        _names.TryGetValue(type, out var name) ? name : throw new ArgumentException($"Event type {type.Name} is not mapped in Marten");

    private readonly Dictionary<Type, string> _names =
        store.Options.Events.AllKnownEventTypes().ToDictionary(t => t.EventType, t => t.EventTypeName);

    private readonly Dictionary<string, Type> _types =
        store.Options.Events.AllKnownEventTypes().ToDictionary(t => t.EventTypeName, t => t.EventType, StringComparer.Ordinal);

    /// <summary>The CLR type Marten maps a stored type name to, or null for a name this process does not know (newer writers).</summary>
    private Type? TypeOf(string name) => _types.GetValueOrDefault(name);

    /// <summary>Deserialises a raw event with Marten's serializer, or null for a type this process does not know.</summary>
    public object? Deserialize(StoredEvent e) => Deserialize(e.Type, e.DataJson);

    public object? Deserialize(string type, string json)
    {
        if (TypeOf(type) is not { } t) return null;
        using var stream = new MemoryStream(System.Text.Encoding.UTF8.GetBytes(json));
        return Store.Options.Serializer().FromJson(t, stream);
    }

    /// <summary>Appends in a transaction of its own.</summary>
    public async Task<AppendResult> AppendAsync(string streamId, ExpectedVersion expected, IReadOnlyList<EventData> events, CancellationToken ct)
    {
        await using var conn = await DataSource.OpenConnectionAsync(ct);
        await using var tx = await conn.BeginTransactionAsync(ct);
        var result = await AppendAsync(conn, tx, streamId, expected, events, ct);
        await tx.CommitAsync(ct);
        if (result.Created) Log.Debug("Appended {Count} events to {Stream} at version {Version}", result.Written, streamId, result.Version);
        return result;
    }

    /// <summary>
    /// Appends through a Marten session enlisted in the caller's transaction, so that the caller's other writes (the
    /// catalog) commit with the events or not at all. With <see cref="ExpectedVersion.Any"/> the append first takes a
    /// transaction-level advisory lock on the stream: concurrent "any version" writers queue instead of colliding on
    /// Marten's (stream, version) key, and the head read for the hash chain cannot go stale.
    /// </summary>
    public async Task<AppendResult> AppendAsync(NpgsqlConnection conn, NpgsqlTransaction tx, string streamId, ExpectedVersion expected,
        IReadOnlyList<EventData> events, CancellationToken ct)
    {
        ArgumentException.ThrowIfNullOrEmpty(streamId);
        if (events.Count == 0) throw new ArgumentException("Nothing to append", nameof(events));
        var ids = events.Select(e => e.EventId).ToArray();
        var (current, previous, existing) = await HeadAsync(conn, tx, streamId, ids, expected == ExpectedVersion.Any, ct);
        if (existing.Count > 0)
        {
            if (existing.Count == ids.Length) return new AppendResult(streamId, current, null, null, 0);
            throw new PartialDuplicateException(streamId, existing);
        }
        if (expected != ExpectedVersion.Any && expected.Value != current)
            throw new ConcurrencyException(streamId, expected, current);

        await using var session = Store.LightweightSession(SessionOptions.ForTransaction(tx));
        var serializer = Store.Options.Serializer();
        var built = new List<IEvent>(events.Count);
        foreach (var (e, i) in events.Select((e, i) => (e, i)))
        {
            var ev = session.Events.BuildEvent(e.Data);
            ev.Id = e.EventId;
            previous = HashChain.Compute(previous, TypeName(e.Data.GetType()), streamId, current + i + 1, e.EventId, serializer.ToJson(e.Data));
            ev.SetHeader(HashChain.Header, previous);
            ev.CorrelationId = e.Metadata?.CorrelationId;
            ev.CausationId = e.Metadata?.CausationId;
            built.Add(ev);
        }
        session.LastModifiedBy = events[0].Metadata?.Actor;
        session.Events.Append(streamId, current + events.Count, built.Cast<object>().ToArray());
        try
        {
            await session.SaveChangesAsync(ct);
        }
        catch (EventStreamUnexpectedMaxEventIdException ex)
        {
            throw new ConcurrencyException(streamId, expected, null, ex);
        }
        catch (Exception ex) when (Find<PostgresException>(ex) is { SqlState: PostgresErrorCodes.UniqueViolation } pg)
        {
            if (pg.ConstraintName?.Contains("event_id", StringComparison.Ordinal) == true) throw new DuplicateEventException(ex);
            throw new ConcurrencyException(streamId, expected, null, ex);
        }
        return new AppendResult(streamId, current + events.Count, built[0].Sequence, built[^1].Sequence, events.Count);
    }

    private static T? Find<T>(Exception? ex) where T : Exception
    {
        for (; ex is not null; ex = ex.InnerException)
            if (ex is T found) return found;
        return null;
    }

    private static async Task<(long Version, string? Hash, List<Guid> Existing)> HeadAsync(NpgsqlConnection conn, NpgsqlTransaction tx,
        string streamId, Guid[] ids, bool lockStream, CancellationToken ct)
    {
        long current = 0;
        string? previous = null;
        var existing = new List<Guid>();
        await using var batch = new NpgsqlBatch(conn, tx);
        // Read committed: each statement of the batch takes a fresh snapshot, so the head read below already sees the
        // commit of whoever held the lock before us.
        if (lockStream)
            batch.BatchCommands.Add(new NpgsqlBatchCommand($"select pg_advisory_xact_lock({StreamLockClass}, hashtext($1))")
                { Parameters = { new() { Value = streamId } } });
        batch.BatchCommands.Add(new NpgsqlBatchCommand($"select version, headers->>'sha256' from {Table} where stream_id = $1 order by version desc limit 1")
            { Parameters = { new() { Value = streamId } } });
        batch.BatchCommands.Add(new NpgsqlBatchCommand($"select id from {Table} where id = any($1)") { Parameters = { new() { Value = ids } } });
        await using var reader = await batch.ExecuteReaderAsync(ct);
        if (lockStream) await reader.NextResultAsync(ct);
        if (await reader.ReadAsync(ct))
        {
            current = reader.GetInt64(0);
            previous = reader.IsDBNull(1) ? null : reader.GetString(1);
        }
        await reader.NextResultAsync(ct);
        while (await reader.ReadAsync(ct)) existing.Add(reader.GetGuid(0));
        return (current, previous, existing);
    }

    /// <summary>Reads a stream from a version, up to a version and/or a recorded (system) time. A missing stream reads as empty.</summary>
    public async Task<IReadOnlyList<StoredEvent>> ReadStreamAsync(string streamId, CancellationToken ct, long fromVersion = 1,
        long toVersion = long.MaxValue, DateTimeOffset? recordedUntil = null)
    {
        await using var cmd = DataSource.CreateCommand($"""
            select {Columns} from {Table}
            where stream_id = $1 and version between $2 and $3 and ($4::timestamptz is null or timestamp <= $4)
            order by version
            """);
        cmd.Parameters.Add(new() { Value = streamId });
        cmd.Parameters.Add(new() { Value = fromVersion });
        cmd.Parameters.Add(new() { Value = toVersion });
        cmd.Parameters.Add(new() { Value = (object?)recordedUntil?.UtcDateTime ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.TimestampTz });
        return await ReadEvents(cmd, ct);
    }

    /// <summary>The raw log by position (/api/events, audits): committed events after <paramref name="afterPosition"/>.</summary>
    public async Task<IReadOnlyList<StoredEvent>> ReadByPositionAsync(long afterPosition, int limit, CancellationToken ct)
    {
        await using var cmd = DataSource.CreateCommand($"select {Columns} from {Table} where seq_id > $1 order by seq_id limit $2");
        cmd.Parameters.Add(new() { Value = afterPosition });
        cmd.Parameters.Add(new() { Value = limit });
        return await ReadEvents(cmd, ct);
    }

    /// <summary>
    /// Streams the whole log in position order in one query (benchmarks, exports). Events of transactions still open
    /// may be missing; subscribers use Marten's daemon, which waits for them.
    /// </summary>
    public async IAsyncEnumerable<StoredEvent> StreamAllAsync(long afterPosition, [EnumeratorCancellation] CancellationToken ct)
    {
        await using var conn = await DataSource.OpenConnectionAsync(ct);
        await using var cmd = new NpgsqlCommand($"select {Columns} from {Table} where seq_id > $1 order by seq_id", conn) { CommandTimeout = 0 };
        cmd.Parameters.Add(new() { Value = afterPosition });
        await using var reader = await cmd.ExecuteReaderAsync(System.Data.CommandBehavior.SequentialAccess, ct);
        while (await reader.ReadAsync(ct)) yield return ReadEvent(reader);
    }

    /// <summary>The position of the newest committed event (0 for an empty log).</summary>
    public async Task<long> HeadAsync(CancellationToken ct)
    {
        await using var cmd = DataSource.CreateCommand($"select coalesce(max(seq_id), 0) from {Table}");
        return (long)(await cmd.ExecuteScalarAsync(ct))!;
    }

    /// <summary>How many events the log holds (positions have gaps where appends rolled back, so this is not the head).</summary>
    public async Task<long> CountAsync(CancellationToken ct)
    {
        await using var cmd = DataSource.CreateCommand($"select count(*) from {Table}");
        return (long)(await cmd.ExecuteScalarAsync(ct))!;
    }

    public async Task<IReadOnlyList<StoredEvent>> ReadByIdsAsync(IReadOnlyCollection<long> positions, CancellationToken ct)
    {
        await using var cmd = DataSource.CreateCommand($"select {Columns} from {Table} where seq_id = any($1) order by seq_id");
        cmd.Parameters.Add(new() { Value = positions.ToArray() });
        return await ReadEvents(cmd, ct);
    }

    /// <summary>Recomputes every hash chain from what Marten stores. Returns each event whose hash or link does not hold.</summary>
    public async Task<IReadOnlyList<VerificationFailure>> VerifyAsync(CancellationToken ct, IReadOnlyCollection<string>? streams = null,
        IProgress<long>? progress = null)
    {
        var failures = new List<VerificationFailure>();
        await using var conn = await DataSource.OpenConnectionAsync(ct);
        await using var cmd = new NpgsqlCommand($"""
            select {Columns} from {Table} where $1::text[] is null or stream_id = any($1)
            order by stream_id, version
            """, conn) { CommandTimeout = 0 };
        cmd.Parameters.Add(new() { Value = (object?)streams?.ToArray() ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text });
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        string? stream = null, previous = null;
        long expectedVersion = 0, seen = 0;
        while (await reader.ReadAsync(ct))
        {
            var e = ReadEvent(reader);
            if (e.StreamId != stream)
            {
                stream = e.StreamId;
                previous = null;
                expectedVersion = 0;
            }
            expectedVersion++;
            if (e.Version != expectedVersion)
                failures.Add(new VerificationFailure(e.Position, e.StreamId, e.Version, $"version gap: expected {expectedVersion}"));
            var hash = HashChain.Compute(previous, e.Type, e.StreamId, e.Version, e.EventId, e.DataJson);
            if (e.Hash != hash)
                failures.Add(new VerificationFailure(e.Position, e.StreamId, e.Version,
                    e.Hash is null ? "no hash header" : "hash does not match content or chain"));
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
        r.GetInt64(0), r.GetString(1), r.GetInt64(2), r.GetGuid(3), r.GetString(4), r.GetString(5),
        new EventMetadata
        {
            CorrelationId = r.IsDBNull(6) ? null : r.GetString(6),
            CausationId = r.IsDBNull(7) ? null : r.GetString(7),
            Actor = r.IsDBNull(8) ? null : r.GetString(8),
        },
        r.GetFieldValue<DateTimeOffset>(9), r.IsDBNull(10) ? null : r.GetString(10));
}
