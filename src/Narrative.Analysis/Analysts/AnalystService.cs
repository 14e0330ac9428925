using System.Security.Cryptography;
using System.Text;
using Narrative.Analysis.Ingestion;
using Narrative.Domain;
using Narrative.Domain.Analysts;
using Narrative.Domain.Corpus;
using Narrative.Storage;
using Npgsql;
using Serilog;

namespace Narrative.Analysis.Analysts;

public enum AnalystOutcome { Created, Done, Invalid, Conflict, NotFound }

/// <summary>
/// The answer to an analyst write. <see cref="Key"/> is the new key, present only when one was issued (created or
/// rotated): it is shown once and never stored.
/// </summary>
public sealed record AnalystResult(AnalystOutcome Outcome, string Id, string? Key = null, IReadOnlyList<FieldError>? Errors = null,
    string? Message = null, long Version = 0, int Events = 0);

public sealed record AnalystInfo(string Id, string Name, bool Revoked);

/// <summary>
/// Analysts as principals and their ratings. Keys: 256 random bits, shown once; the log and the catalog keep only their
/// SHA-256 (hex), compared in constant time. The catalog row changes in the transaction of the event, and
/// <see cref="AuthenticateAsync"/> checks the catalog's change stamp on every call, so a revocation or a rotation holds
/// from the moment it commits, on every node, while the key table itself is read only when it changed.
/// </summary>
public sealed class AnalystService(EventLog log)
{
    public const string KeyPrefix = "nk_";

    private sealed record Entry(string Id, string Name, byte[] Hash, bool Revoked);

    private sealed record Snapshot(long Stamp, IReadOnlyList<Entry> Entries);

    private Snapshot? _cache;

    /// <summary>A new key: "nk_" and 64 hex digits (256 bits from the OS's CSPRNG).</summary>
    public static string NewKey() => KeyPrefix + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32));

    public static string HashKey(string key) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(key)));

    public async Task<AnalystResult> RegisterAsync(AnalystInput input, IngestContext who, CancellationToken ct)
    {
        var errors = AnalystValidator.Validate(input);
        if (errors.Count > 0) return new AnalystResult(AnalystOutcome.Invalid, input.Id ?? "", Errors: errors);
        var id = input.Id!;
        var key = NewKey();
        var e = new AnalystRegistered(id, input.Name!.Trim(), HashKey(key));
        await using var conn = await log.DataSource.OpenConnectionAsync(ct);
        await using var tx = await conn.BeginTransactionAsync(ct);
        if (await FindAsync(conn, tx, id, ct) is not null)
            return new AnalystResult(AnalystOutcome.Conflict, id, Message: $"Analyst '{id}' already exists. Rotate their key with POST /api/admin/analysts/{id}/rotate.");
        try
        {
            var r = await log.AppendAsync(conn, tx, AnalystStreams.Of(id), ExpectedVersion.NoStream, [new EventData(Guid.NewGuid(), e, Meta(who))], ct);
            await ExecuteAsync(conn, tx, "insert into catalog.analysts (analyst_id, name, key_hash, position) values ($1, $2, $3, $4)",
                [id, e.Name, e.KeyHash, r.LastPosition ?? 0], ct);
            await tx.CommitAsync(ct);
            Log.Information("Registered analyst {AnalystId}", id);
            return new AnalystResult(AnalystOutcome.Created, id, key, Version: r.Version, Events: 1);
        }
        catch (Exception ex) when (ex is ConcurrencyException or PostgresException { SqlState: PostgresErrorCodes.UniqueViolation })
        {
            return new AnalystResult(AnalystOutcome.Conflict, id, Message: $"Analyst '{id}' already exists.");
        }
    }

    /// <summary>Issues a new key; the old one stops working at once. Works on a revoked analyst too (a fresh start).</summary>
    public Task<AnalystResult> RotateAsync(string id, IngestContext who, CancellationToken ct)
    {
        var key = NewKey();
        var hash = HashKey(key);
        return ChangeAsync(id, who, _ => new AnalystKeyRotated(id, hash),
            "update catalog.analysts set key_hash = $2, revoked = false, position = $3 where analyst_id = $1", position => [id, hash, position], key, ct);
    }

    /// <summary>The key stops working at once. Revoking a revoked key writes nothing.</summary>
    public Task<AnalystResult> RevokeAsync(string id, string? reason, IngestContext who, CancellationToken ct) =>
        ChangeAsync(id, who, current => current.Revoked ? null : new AnalystKeyRevoked(id, reason),
            "update catalog.analysts set revoked = true, position = $2 where analyst_id = $1", position => [id, position], null, ct);

    private async Task<AnalystResult> ChangeAsync(string id, IngestContext who, Func<AnalystInfo, object?> change, string sql,
        Func<long, object[]> args, string? key, CancellationToken ct)
    {
        await using var conn = await log.DataSource.OpenConnectionAsync(ct);
        await using var tx = await conn.BeginTransactionAsync(ct);
        // The row lock serialises changes to one analyst.
        if (!Slugs.IsValid(id) || await FindAsync(conn, tx, id, ct, forUpdate: true) is not { } current)
            return new AnalystResult(AnalystOutcome.NotFound, id, Message: $"No analyst '{id}'.");
        if (change(current) is not { } e) return new AnalystResult(AnalystOutcome.Done, id);
        var r = await log.AppendAsync(conn, tx, AnalystStreams.Of(id), ExpectedVersion.Any, [new EventData(Guid.NewGuid(), e, Meta(who))], ct);
        await ExecuteAsync(conn, tx, sql, args(r.LastPosition ?? 0), ct);
        await tx.CommitAsync(ct);
        Log.Information("Analyst {AnalystId}: {Change}", id, e.GetType().Name);
        return new AnalystResult(AnalystOutcome.Done, id, key, Version: r.Version, Events: 1);
    }

    public async Task<IReadOnlyList<AnalystInfo>> ListAsync(CancellationToken ct) =>
        [.. (await CurrentAsync(ct)).Entries.Select(e => new AnalystInfo(e.Id, e.Name, e.Revoked)).OrderBy(a => a.Id, StringComparer.Ordinal)];

    /// <summary>The analyst whose live key this is, or null (unknown or revoked).</summary>
    public async Task<AnalystInfo?> AuthenticateAsync(string key, CancellationToken ct)
    {
        if (!key.StartsWith(KeyPrefix, StringComparison.Ordinal) || key.Length > 128) return null;
        var given = SHA256.HashData(Encoding.UTF8.GetBytes(key));
        Entry? match = null;
        // Every entry is compared, in constant time each, so the time taken does not depend on which one matches.
        foreach (var e in (await CurrentAsync(ct)).Entries)
            if (CryptographicOperations.FixedTimeEquals(e.Hash, given) && !e.Revoked) match = e;
        return match is null ? null : new AnalystInfo(match.Id, match.Name, false);
    }

    /// <summary>The key table as of now: from memory unless the catalog's change stamp moved (one indexed scalar read).</summary>
    private async Task<Snapshot> CurrentAsync(CancellationToken ct)
    {
        await using var conn = await log.DataSource.OpenConnectionAsync(ct);
        await using var tx = await conn.BeginTransactionAsync(System.Data.IsolationLevel.RepeatableRead, ct);
        long stamp;
        await using (var s = new NpgsqlCommand("select coalesce(max(position), 0) from catalog.analysts", conn, tx))
            stamp = (long)(await s.ExecuteScalarAsync(ct))!;
        if (_cache is { } held && held.Stamp == stamp) return held;
        var entries = new List<Entry>();
        await using (var cmd = new NpgsqlCommand("select analyst_id, name, key_hash, revoked from catalog.analysts", conn, tx))
        await using (var r = await cmd.ExecuteReaderAsync(ct))
            while (await r.ReadAsync(ct))
                entries.Add(new Entry(r.GetString(0), r.GetString(1), Convert.FromHexString(r.GetString(2)), r.GetBoolean(3)));
        await tx.CommitAsync(ct);
        var snapshot = new Snapshot(stamp, entries);
        _cache = snapshot;
        return snapshot;
    }

    public async Task<AnalystInfo?> FindAsync(string id, CancellationToken ct) =>
        (await CurrentAsync(ct)).Entries.FirstOrDefault(e => e.Id == id) is { } e ? new AnalystInfo(e.Id, e.Name, e.Revoked) : null;

    private static async Task<AnalystInfo?> FindAsync(NpgsqlConnection conn, NpgsqlTransaction tx, string id, CancellationToken ct, bool forUpdate = false)
    {
        await using var cmd = new NpgsqlCommand($"select name, revoked from catalog.analysts where analyst_id = $1{(forUpdate ? " for update" : "")}", conn, tx)
            { Parameters = { new() { Value = id } } };
        await using var r = await cmd.ExecuteReaderAsync(ct);
        return await r.ReadAsync(ct) ? new AnalystInfo(id, r.GetString(0), r.GetBoolean(1)) : null;
    }

    /// <summary>
    /// Records an analyst's ratings of claims of a topic: one <see cref="RatingRecorded"/> per claim, all in one
    /// transaction, or nothing when any is invalid. Claims are checked against the log's items of the topic.
    /// </summary>
    public async Task<IngestResult> RecordRatingsAsync(string analyst, string topic, RatingsInput input, IngestContext who, CancellationToken ct)
    {
        var stream = AnalystStreams.Of(analyst);
        await using var conn = await log.DataSource.OpenConnectionAsync(ct);
        await using var tx = await conn.BeginTransactionAsync(ct);
        if (!Slugs.IsValid(topic) || await HypothesesAsync(conn, tx, topic, ct) is not { } hypotheses)
            return new IngestResult(IngestStatus.NotFound, topic, stream, 0, 0, [], $"Topic '{topic}' is not known.");
        var named = (input.Ratings ?? []).Select(r => r?.Claim).OfType<string>().Distinct(StringComparer.Ordinal).ToArray();
        var claims = await ClaimsAsync(conn, tx, topic, named, ct);
        var validated = AnalystValidator.Validate(analyst, topic, input, hypotheses, claims);
        if (!validated.IsValid) return IngestResult.Invalid(topic, validated.Errors);
        var events = validated.Value!.Select(e => new EventData(Guid.NewGuid(), e, Meta(who))).ToList();
        var r = await log.AppendAsync(conn, tx, stream, ExpectedVersion.Any, events, ct);
        await tx.CommitAsync(ct);
        Log.Information("Analyst {AnalystId} rated {Count} claims of {Topic}", analyst, events.Count, topic);
        return new IngestResult(IngestStatus.Created, topic, stream, r.Version, r.Written, []);
    }

    private static async Task<IReadOnlySet<string>?> HypothesesAsync(NpgsqlConnection conn, NpgsqlTransaction tx, string topic, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand("select hypotheses from catalog.topics where topic_id = $1", conn, tx) { Parameters = { new() { Value = topic } } };
        return await cmd.ExecuteScalarAsync(ct) is string[] h ? h.ToHashSet(StringComparer.Ordinal) : null;
    }

    /// <summary>Which of <paramref name="named"/> some item of the topic carries, from the log itself (indexed by type and topic).</summary>
    private static async Task<IReadOnlySet<string>> ClaimsAsync(NpgsqlConnection conn, NpgsqlTransaction tx, string topic, string[] named, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand($"""
            select distinct data->>'claim' from {EventStoreSetup.Schema}.mt_events
            where type = $1 and data->>'topic' = $2 and data->>'claim' = any($3)
            """, conn, tx)
        {
            Parameters = { new() { Value = NarrativeEvents.NameOf(typeof(ItemRecorded)) }, new() { Value = topic }, new() { Value = named } },
        };
        var found = new HashSet<string>(StringComparer.Ordinal);
        await using var r = await cmd.ExecuteReaderAsync(ct);
        while (await r.ReadAsync(ct)) found.Add(r.GetString(0));
        return found;
    }

    private static async Task ExecuteAsync(NpgsqlConnection conn, NpgsqlTransaction tx, string sql, object[] args, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand(sql, conn, tx);
        foreach (var a in args) cmd.Parameters.Add(new() { Value = a });
        await cmd.ExecuteNonQueryAsync(ct);
    }

    private static EventMetadata Meta(IngestContext who) => new() { Actor = who.Actor, CorrelationId = who.CorrelationId };
}
