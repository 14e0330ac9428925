using System.Text.Json;
using Npgsql;

namespace Narrative.Analysis.Ingestion;

/// <summary>
/// A client's <c>Idempotency-Key</c> and the hash of the request it was sent with (method, path and body bytes).
/// </summary>
public sealed record IdempotencyKey(string Key, string RequestHash)
{
    public const int MaxLength = 255;

    /// <summary>Printable ASCII without spaces at the ends, 1 to 255 characters (a UUID is the usual choice).</summary>
    public static bool IsWellFormed(string? key) =>
        key is { Length: > 0 and <= MaxLength } && key.All(c => c is >= '!' and <= '~' or ' ') && key.Trim().Length == key.Length;
}

/// <summary>
/// Remembers the answer of each successful write made with an Idempotency-Key, in <c>catalog.idempotency_keys</c>, in
/// the write's own transaction. A table rather than event ids derived from the key: the retry must get the original
/// answer back (status, version, event count), a 200 "already held" answer writes no event to derive anything from,
/// and a key used with a different body must be told apart from a replay, which needs the request's hash.
/// </summary>
internal static class IdempotencyKeys
{
    private sealed record Answer(string Status, string Id, string Stream, long Version, int Events);

    /// <summary>
    /// Takes the key's lock for the rest of the transaction (concurrent retries queue behind the first), then gives
    /// the remembered answer, a <see cref="IngestStatus.KeyReused"/> result, or null for a key not seen before.
    /// </summary>
    public static async Task<IngestResult?> ReplayAsync(NpgsqlConnection conn, NpgsqlTransaction tx, IdempotencyKey? key, CancellationToken ct)
    {
        if (key is null) return null;
        await using var batch = new NpgsqlBatch(conn, tx)
        {
            BatchCommands =
            {
                new("select pg_advisory_xact_lock(hashtextextended($1, 11))") { Parameters = { new() { Value = key.Key } } },
                new("select request_hash, answer::text from catalog.idempotency_keys where idempotency_key = $1") { Parameters = { new() { Value = key.Key } } },
            },
        };
        await using var r = await batch.ExecuteReaderAsync(ct);
        await r.NextResultAsync(ct);
        if (!await r.ReadAsync(ct)) return null;
        if (r.GetString(0) != key.RequestHash)
            return new IngestResult(IngestStatus.KeyReused, "", "", 0, 0, [],
                $"Idempotency-Key '{key.Key}' was already used for a different request (another path or body). Use a new key for a new request.");
        var a = JsonSerializer.Deserialize<Answer>(r.GetString(1), NarrativeEvents.Json)!;
        return new IngestResult(Enum.Parse<IngestStatus>(a.Status), a.Id, a.Stream, a.Version, a.Events, [], Replayed: true);
    }

    /// <summary>Stores a successful answer (201 or 200); failures are not remembered, so a corrected body may reuse the key.</summary>
    public static async Task RememberAsync(NpgsqlConnection conn, NpgsqlTransaction tx, IdempotencyKey? key, IngestResult result, CancellationToken ct)
    {
        if (key is null || result.Status is not (IngestStatus.Created or IngestStatus.Unchanged)) return;
        var answer = JsonSerializer.Serialize(new Answer(result.Status.ToString(), result.Id, result.Stream, result.Version, result.Events), NarrativeEvents.Json);
        await using var cmd = new NpgsqlCommand(
            "insert into catalog.idempotency_keys (idempotency_key, request_hash, answer) values ($1, $2, $3::jsonb)", conn, tx)
        {
            Parameters = { new() { Value = key.Key }, new() { Value = key.RequestHash }, new() { Value = answer } },
        };
        await cmd.ExecuteNonQueryAsync(ct);
    }
}
