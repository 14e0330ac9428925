using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Narrative.Domain;
using Narrative.Domain.Corpus;
using Narrative.Storage;
using Npgsql;
using Serilog;

namespace Narrative.Analysis.Ingestion;

public enum IngestStatus { Created, Unchanged, Invalid, Conflict, NotFound, KeyReused }

/// <summary>The outcome of one write. <see cref="Replayed"/>: the remembered answer to an earlier request with the same Idempotency-Key.</summary>
public sealed record IngestResult(IngestStatus Status, string Id, string Stream, long Version, int Events,
    IReadOnlyList<FieldError> Errors, string? Message = null, bool Replayed = false)
{
    public static IngestResult Invalid(string id, IReadOnlyList<FieldError> errors) => new(IngestStatus.Invalid, id, "", 0, 0, errors);
}

/// <summary>Who asked, for the event metadata, and the client's Idempotency-Key when it sent one.</summary>
public sealed record IngestContext(string Actor, string CorrelationId, IdempotencyKey? Idempotency = null);

/// <summary>
/// Turns validated input into events. One document is one transaction: its events and its catalog rows commit
/// together or not at all. Event ids are derived from the content, so posting the same thing twice writes nothing.
/// </summary>
public sealed class IngestionService(EventLog store, TimeProvider clock)
{
    private const int Attempts = 5;

    public async Task<IngestResult> IngestDocumentAsync(DocumentInput input, int sizeBytes, IngestContext who, CancellationToken ct)
    {
        var id = input.Id ?? "";
        for (var attempt = 1; ; attempt++)
        {
            await using var conn = await store.DataSource.OpenConnectionAsync(ct);
            await using var tx = await conn.BeginTransactionAsync(ct);
            if (await IdempotencyKeys.ReplayAsync(conn, tx, who.Idempotency, ct) is { } replay) return replay;
            var stream = NarrativeEventTypes.DocumentStream(id);
            var hash = DocumentValidator.ContentHash(input);
            if (Slugs.IsValid(id) && await Catalog.Catalog.FindAsync(conn, tx, Catalog.CatalogKind.Document, id, ct) is { } existing)
            {
                if (existing.Hash == hash)
                    return await FinishAsync(conn, tx, who, new IngestResult(IngestStatus.Unchanged, id, stream, input.Items?.Count + 1 ?? 1, 0, []), ct);
                // Invalid input is 400 even for a held id: the errors say more than "different content" would.
                var check = await ValidateAsync(conn, tx, input, sizeBytes, ct);
                return check.IsValid
                    ? new IngestResult(IngestStatus.Conflict, id, stream, 0, 0, [],
                        $"Document '{id}' is already held with different content. Post corrections to /api/documents/{id}/corrections.")
                    : IngestResult.Invalid(id, check.Errors);
            }

            var validated = await ValidateAsync(conn, tx, input, sizeBytes, ct);
            var quoteErrors = await Capture.CaptureQuotes.CheckAsync(conn, tx, input, ct);
            if (!validated.IsValid || quoteErrors.Count > 0) return IngestResult.Invalid(id, [.. validated.Errors, .. quoteErrors]);
            var doc = validated.Value!;
            try
            {
                var result = await store.AppendAsync(conn, tx, stream, ExpectedVersion.NoStream, Events(stream, hash, doc.Events, who), ct);
                await Catalog.Catalog.ApplyAsync(conn, tx, doc, hash, result.FirstPosition ?? 0, ct);
                var created = await FinishAsync(conn, tx, who, new IngestResult(IngestStatus.Created, id, stream, result.Version, result.Written, []), ct);
                Log.Information("Ingested document {DocumentId} with {Items} items at position {Position}", id, doc.Items.Count, result.FirstPosition);
                return created;
            }
            catch (Exception ex) when (attempt < Attempts && IsRace(ex))
            {
                // Someone committed the same document (or an item id) first: look again, which turns into 200, 409 or 400.
                await tx.RollbackAsync(ct);
            }
        }
    }

    /// <summary>
    /// Registers a source, or regrades a held one: a body whose reliability differs from the held grade appends a
    /// <see cref="SourceRegraded"/> (it needs a reason). The same regrade posted again writes nothing.
    /// </summary>
    public async Task<IngestResult> RegisterSourceAsync(SourceInput input, IngestContext who, CancellationToken ct)
    {
        if (Slugs.IsValid(input.Id) && await MethodWrites.RegradeAsync(store, input, who, ct) is { } regraded) return regraded;
        return await RegisterAsync(SourceValidator.Validate(input), input.Id, Catalog.CatalogKind.Source, s => NarrativeEventTypes.SourceStream(s.SourceId),
            (s, today) => s with { RegisteredOn = today }, who, ct);
    }

    /// <summary>Regrades a held source only (the CLI's <c>regrade</c>): an unknown source is not found, the held grade is unchanged.</summary>
    public async Task<IngestResult> RegradeSourceAsync(string source, string reliability, string reason, IngestContext who, CancellationToken ct)
    {
        var stream = NarrativeEventTypes.SourceStream(source);
        if (!Slugs.IsValid(source)) return new IngestResult(IngestStatus.NotFound, source, stream, 0, 0, [], $"Source '{source}' is not registered.");
        if (await MethodWrites.RegradeAsync(store, new SourceInput(source, "-", "-", reliability, null, reason), who, ct) is { } r) return r;
        await using var conn = await store.DataSource.OpenConnectionAsync(ct);
        return await Catalog.Catalog.FindAsync(conn, null, Catalog.CatalogKind.Source, source, ct) is null
            ? new IngestResult(IngestStatus.NotFound, source, stream, 0, 0, [], $"Source '{source}' is not registered.")
            : new IngestResult(IngestStatus.Unchanged, source, stream, 0, 0, [], $"Source '{source}' is already graded {reliability}.");
    }

    /// <summary>Appends a revision of the topic's hypothesis set (<c>POST /api/topics/{topic}/hypotheses</c>).</summary>
    public Task<IngestResult> ReviseHypothesesAsync(string topic, HypothesisRevisionInput input, IngestContext who, CancellationToken ct) =>
        MethodWrites.ReviseHypothesesAsync(store, topic, input, who, ct);

    /// <summary>Sets a signpost on a topic (<c>POST /api/topics/{topic}/signposts</c>).</summary>
    public Task<IngestResult> SetSignpostAsync(string topic, SignpostInput input, IngestContext who, CancellationToken ct) =>
        MethodWrites.SetSignpostAsync(store, topic, input, who, ct);

    public Task<IngestResult> OpenTopicAsync(TopicInput input, IngestContext who, CancellationToken ct) =>
        RegisterAsync(TopicValidator.Validate(input), input.Id, Catalog.CatalogKind.Topic, t => NarrativeEventTypes.TopicStream(t.TopicId),
            (t, today) => t with { OpenedOn = today }, who, ct);

    /// <summary>A context period's world time is its own start; it needs no registration day.</summary>
    public Task<IngestResult> RecordContextPeriodAsync(ContextPeriodInput input, IngestContext who, CancellationToken ct) =>
        RegisterAsync(ContextPeriodValidator.Validate(input), input.Id, Catalog.CatalogKind.ContextPeriod,
            c => NarrativeEventTypes.ContextStream(c.PeriodId), (c, _) => c, who, ct);

    /// <summary>
    /// Appends re-ratings and retractions. History is never edited: answers for an earlier knownAt stay as they were.
    /// A correction identical to one already applied (<see cref="CorrectionValidator.Fingerprint"/>) writes nothing:
    /// its event ids are derived from the fingerprint, so the first application's events are found by id.
    /// </summary>
    public async Task<IngestResult> CorrectAsync(string documentId, CorrectionInput input, IngestContext who, CancellationToken ct)
    {
        await using var conn = await store.DataSource.OpenConnectionAsync(ct);
        await using var tx = await conn.BeginTransactionAsync(ct);
        if (await IdempotencyKeys.ReplayAsync(conn, tx, who.Idempotency, ct) is { } replay) return replay;
        var stream = NarrativeEventTypes.DocumentStream(documentId);
        if (!Slugs.IsValid(documentId) || await Catalog.Catalog.FindAsync(conn, tx, Catalog.CatalogKind.Document, documentId, ct) is null)
            return new IngestResult(IngestStatus.NotFound, documentId, stream, 0, 0, [], $"Document '{documentId}' is not held.");
        // Serialise corrections of one document, so "already retracted" and "already applied" checks see each other.
        await using (var lk = new NpgsqlCommand("select pg_advisory_xact_lock(hashtextextended($1, 7))", conn, tx) { Parameters = { new() { Value = stream } } })
            await lk.ExecuteNonQueryAsync(ct);

        var fingerprint = CorrectionValidator.Fingerprint(documentId, input);
        if (await AppliedVersionAsync(conn, tx, stream, CorrectionId(stream, fingerprint, input.Items?.FirstOrDefault()?.Id), ct) is { } version)
            return await FinishAsync(conn, tx, who, new IngestResult(IngestStatus.Unchanged, documentId, stream, version, 0, []), ct);

        var itemIds = (input.Items ?? []).Select(i => i?.Id ?? "").ToList();
        var items = await Catalog.Catalog.LoadAsync(conn, tx, [], [], [documentId], itemIds, ct);
        var topics = items.Items.Values.Select(i => i.Topic).Distinct().ToList();
        var known = await Catalog.Catalog.LoadAsync(conn, tx, [], topics, [documentId], itemIds, ct);
        var validated = CorrectionValidator.Validate(documentId, input, known);
        if (!validated.IsValid) return IngestResult.Invalid(documentId, validated.Errors);

        var events = validated.Value!.Select(e => new EventData(CorrectionId(stream, fingerprint, ItemOf(e)), e, Meta(who))).ToList();
        var result = await store.AppendAsync(conn, tx, stream, ExpectedVersion.Any, events, ct);
        foreach (var e in validated.Value!.OfType<ItemRetracted>())
            await Catalog.Catalog.ApplyAsync(conn, tx, e, "", result.LastPosition ?? 0, ct);
        var created = await FinishAsync(conn, tx, who, new IngestResult(IngestStatus.Created, documentId, stream, result.Version, result.Written, []), ct);
        Log.Information("Corrected document {DocumentId}: {Count} correction events ({Reason})", documentId, events.Count, input.Reason);
        return created;
    }

    internal static Task<IngestResult> FinishWriteAsync(NpgsqlConnection conn, NpgsqlTransaction tx, IngestContext who, IngestResult result, CancellationToken ct) =>
        FinishAsync(conn, tx, who, result, ct);

    internal static Task<long?> AppliedAsync(NpgsqlConnection conn, NpgsqlTransaction tx, string stream, Guid eventId, CancellationToken ct) =>
        AppliedVersionAsync(conn, tx, stream, eventId, ct);

    internal static EventMetadata MetaOf(IngestContext who) => Meta(who);

    private static Guid CorrectionId(string stream, string fingerprint, string? itemId) => DeterministicId($"{stream}|correction|{fingerprint}|{itemId}");

    private static string ItemOf(object correction) => correction switch
    {
        ItemRerated r => r.ItemId,
        ItemRetracted r => r.ItemId,
        _ => throw new ArgumentException($"Not a correction: {correction.GetType().Name}", nameof(correction)),
    };

    /// <summary>The stream's version when the event with this id is already in it, else null.</summary>
    private static async Task<long?> AppliedVersionAsync(NpgsqlConnection conn, NpgsqlTransaction tx, string stream, Guid eventId, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand($"""
            select (select max(version) from {EventStoreSetup.Schema}.mt_events where stream_id = $1)
            from {EventStoreSetup.Schema}.mt_events where id = $2
            """, conn, tx) { Parameters = { new() { Value = stream }, new() { Value = eventId } } };
        return await cmd.ExecuteScalarAsync(ct) is long v ? v : null;
    }

    /// <summary>Remembers the answer under the request's Idempotency-Key (if any) and commits, in one transaction.</summary>
    private static async Task<IngestResult> FinishAsync(NpgsqlConnection conn, NpgsqlTransaction tx, IngestContext who, IngestResult result,
        CancellationToken ct)
    {
        await IdempotencyKeys.RememberAsync(conn, tx, who.Idempotency, result, ct);
        await tx.CommitAsync(ct);
        return result;
    }

    /// <summary>
    /// One registration. The hash that tells "same" from "different" is taken before <paramref name="stamp"/> adds the
    /// day of registration (today, by <see cref="TimeProvider"/>), so registering the same thing on another day is a 200.
    /// </summary>
    private async Task<IngestResult> RegisterAsync<T>(Validated<T> validated, string? rawId, Catalog.CatalogKind kind, Func<T, string> streamOf,
        Func<T, DateOnly, T> stamp, IngestContext who, CancellationToken ct) where T : class
    {
        var id = rawId ?? "";
        for (var attempt = 1; ; attempt++)
        {
            await using var conn = await store.DataSource.OpenConnectionAsync(ct);
            await using var tx = await conn.BeginTransactionAsync(ct);
            if (await IdempotencyKeys.ReplayAsync(conn, tx, who.Idempotency, ct) is { } replay) return replay;
            if (!validated.IsValid) return IngestResult.Invalid(id, validated.Errors);
            var e = validated.Value!;
            var stream = streamOf(e);
            var hash = Hash(JsonSerializer.Serialize(e, NarrativeEvents.Json));
            if (await Catalog.Catalog.FindAsync(conn, tx, kind, id, ct) is { } existing)
            {
                return existing.Hash == hash
                    ? await FinishAsync(conn, tx, who, new IngestResult(IngestStatus.Unchanged, id, stream, 1, 0, []), ct)
                    : new IngestResult(IngestStatus.Conflict, id, stream, 1, 0, [], $"'{id}' is already registered with different content.");
            }
            try
            {
                var stamped = stamp(e, DateOnly.FromDateTime(clock.GetUtcNow().UtcDateTime));
                var result = await store.AppendAsync(conn, tx, stream, ExpectedVersion.NoStream, Events(stream, hash, [stamped], who), ct);
                await Catalog.Catalog.ApplyAsync(conn, tx, stamped, hash, result.FirstPosition ?? 0, ct);
                return await FinishAsync(conn, tx, who, new IngestResult(IngestStatus.Created, id, stream, result.Version, result.Written, []), ct);
            }
            catch (Exception ex) when (attempt < Attempts && IsRace(ex))
            {
                await tx.RollbackAsync(ct);
            }
        }
    }

    private async Task<Validated<IngestedDocument>> ValidateAsync(NpgsqlConnection conn, NpgsqlTransaction tx, DocumentInput input, int sizeBytes,
        CancellationToken ct)
    {
        var items = input.Items ?? [];
        var known = await Catalog.Catalog.LoadAsync(conn, tx,
            items.Select(i => i?.Speaker).OfType<string>().Append(input.Source ?? ""),
            items.Select(i => i?.Topic ?? ""),
            (input.Cites ?? []).Append(input.Id ?? ""),
            items.SelectMany(i => (i?.Rebuts ?? []).Append(i?.Id ?? "")),
            ct);
        return DocumentValidator.Validate(input, known, DateOnly.FromDateTime(clock.GetUtcNow().UtcDateTime), sizeBytes);
    }

    private static bool IsRace(Exception ex) =>
        ex is ConcurrencyException or DuplicateEventException || ex is PostgresException { SqlState: PostgresErrorCodes.UniqueViolation };

    private static List<EventData> Events(string stream, string hash, IReadOnlyList<object> events, IngestContext who) =>
        events.Select((e, i) => new EventData(DeterministicId($"{stream}|{hash}|{i}"), e, Meta(who))).ToList();

    private static EventMetadata Meta(IngestContext who) => new() { Actor = who.Actor, CorrelationId = who.CorrelationId };

    public static Guid DeterministicId(string text)
    {
        var bytes = SHA256.HashData(Encoding.UTF8.GetBytes(text)).AsSpan(0, 16).ToArray();
        bytes[7] = (byte)((bytes[7] & 0x0F) | 0x50); // version 5-style (name-based); byte order as Guid(byte[]) lays it out
        bytes[8] = (byte)((bytes[8] & 0x3F) | 0x80);
        return new Guid(bytes);
    }

    private static string Hash(string text) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)));
}
