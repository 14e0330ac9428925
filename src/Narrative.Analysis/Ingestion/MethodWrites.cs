using System.Text.Json;
using Narrative.Domain;
using Narrative.Domain.Corpus;
using Narrative.Storage;
using Npgsql;
using Serilog;

namespace Narrative.Analysis.Ingestion;

/// <summary>
/// The writes of the ACH method: source regrades, revisions of a topic's hypothesis set and signposts. Each is one
/// transaction with its catalog update; event ids come from the content, so the same write posted again writes nothing.
/// </summary>
internal static class MethodWrites
{
    /// <summary>A regrade of a held source, or null when the body is not one (the source is not held, or keeps its grade).</summary>
    public static async Task<IngestResult?> RegradeAsync(EventLog store, SourceInput input, IngestContext who, CancellationToken ct)
    {
        var id = input.Id!;
        await using var conn = await store.DataSource.OpenConnectionAsync(ct);
        await using var tx = await conn.BeginTransactionAsync(ct);
        if (await IdempotencyKeys.ReplayAsync(conn, tx, who.Idempotency, ct) is { } replay) return replay;
        var stream = NarrativeEventTypes.SourceStream(id);
        await LockAsync(conn, tx, stream, ct);
        var known = await Catalog.Catalog.LoadAsync(conn, tx, [id], [], [], [], ct);
        if (!known.Sources.TryGetValue(id, out var held)) return null;
        var eventId = IngestionService.DeterministicId($"{stream}|regrade|{input.Reliability}|{input.Reason}");
        if (input.Reliability == held)
        {
            return input.Reason is not null && await IngestionService.AppliedAsync(conn, tx, stream, eventId, ct) is { } version
                ? await IngestionService.FinishWriteAsync(conn, tx, who, new IngestResult(IngestStatus.Unchanged, id, stream, version, 0, []), ct)
                : null;
        }
        var validated = SourceRegradeValidator.Validate(input);
        if (!validated.IsValid) return IngestResult.Invalid(id, validated.Errors);
        var result = await store.AppendAsync(conn, tx, stream, ExpectedVersion.Any, [new EventData(eventId, validated.Value!, IngestionService.MetaOf(who))], ct);
        await Catalog.Catalog.ApplyAsync(conn, tx, validated.Value!, "", result.LastPosition ?? 0, ct);
        Log.Information("Regraded source {SourceId} from {From} to {To} ({Reason})", id, held, input.Reliability, input.Reason);
        return await IngestionService.FinishWriteAsync(conn, tx, who, new IngestResult(IngestStatus.Created, id, stream, result.Version, result.Written, []), ct);
    }

    public static async Task<IngestResult> ReviseHypothesesAsync(EventLog store, string topic, HypothesisRevisionInput input, IngestContext who, CancellationToken ct)
    {
        await using var conn = await store.DataSource.OpenConnectionAsync(ct);
        await using var tx = await conn.BeginTransactionAsync(ct);
        if (await IdempotencyKeys.ReplayAsync(conn, tx, who.Idempotency, ct) is { } replay) return replay;
        var stream = NarrativeEventTypes.TopicStream(topic);
        if (!Slugs.IsValid(topic)) return NotFound(topic, stream);
        await LockAsync(conn, tx, stream, ct);
        var known = await Catalog.Catalog.LoadAsync(conn, tx, [], [topic], [], [], ct);
        if (!known.Topics.TryGetValue(topic, out var held)) return NotFound(topic, stream);
        // The same revision applied before (it would no longer validate: its new hypotheses are now in the set).
        var eventId = IngestionService.DeterministicId($"{stream}|revision|{JsonSerializer.Serialize(input, NarrativeEvents.Json)}");
        if (await IngestionService.AppliedAsync(conn, tx, stream, eventId, ct) is { } version)
            return await IngestionService.FinishWriteAsync(conn, tx, who, new IngestResult(IngestStatus.Unchanged, topic, stream, version, 0, []), ct);
        var validated = HypothesisRevisionValidator.Validate(topic, input, held.Hypotheses);
        if (!validated.IsValid) return IngestResult.Invalid(topic, validated.Errors);
        var result = await store.AppendAsync(conn, tx, stream, ExpectedVersion.Any, [new EventData(eventId, validated.Value!, IngestionService.MetaOf(who))], ct);
        await Catalog.Catalog.ApplyAsync(conn, tx, validated.Value!, "", result.LastPosition ?? 0, ct);
        Log.Information("Revised the hypotheses of {Topic}: added {Added}, retired {Retired}, split {Split} ({Reason})", topic,
            validated.Value!.Added.Select(h => h.Id), validated.Value.Retired, validated.Value.Splits.Select(s => s.From), input.Reason);
        return await IngestionService.FinishWriteAsync(conn, tx, who, new IngestResult(IngestStatus.Created, topic, stream, result.Version, result.Written, []), ct);
    }

    public static async Task<IngestResult> SetSignpostAsync(EventLog store, string topic, SignpostInput input, IngestContext who, CancellationToken ct)
    {
        await using var conn = await store.DataSource.OpenConnectionAsync(ct);
        await using var tx = await conn.BeginTransactionAsync(ct);
        if (await IdempotencyKeys.ReplayAsync(conn, tx, who.Idempotency, ct) is { } replay) return replay;
        if (!Slugs.IsValid(topic)) return NotFound(topic, NarrativeEventTypes.TopicStream(topic));
        var known = await Catalog.Catalog.LoadAsync(conn, tx, [], [topic], [], [], ct);
        if (!known.Topics.TryGetValue(topic, out var held)) return NotFound(topic, NarrativeEventTypes.TopicStream(topic));
        var validated = SignpostValidator.Validate(topic, input, held.Hypotheses);
        if (!validated.IsValid) return IngestResult.Invalid(input.Id ?? "", validated.Errors);
        var signpost = validated.Value!;
        var stream = NarrativeEventTypes.SignpostStream(topic, signpost.SignpostId);
        await LockAsync(conn, tx, stream, ct);
        var eventId = IngestionService.DeterministicId($"{stream}|{JsonSerializer.Serialize(signpost, NarrativeEvents.Json)}");
        if (await IngestionService.AppliedAsync(conn, tx, stream, eventId, ct) is { } version)
            return await IngestionService.FinishWriteAsync(conn, tx, who, new IngestResult(IngestStatus.Unchanged, signpost.SignpostId, stream, version, 0, []), ct);
        await using (var exists = new NpgsqlCommand($"select exists (select 1 from {EventStoreSetup.Schema}.mt_events where stream_id = $1)", conn, tx)
            { Parameters = { new() { Value = stream } } })
        {
            if ((bool)(await exists.ExecuteScalarAsync(ct))!)
                return new IngestResult(IngestStatus.Conflict, signpost.SignpostId, stream, 1, 0, [],
                    $"Signpost '{signpost.SignpostId}' is already set on {topic} with different content.");
        }
        var result = await store.AppendAsync(conn, tx, stream, ExpectedVersion.NoStream, [new EventData(eventId, signpost, IngestionService.MetaOf(who))], ct);
        Log.Information("Set signpost {Signpost} on {Topic} for {Hypothesis} (expect {Expect}, deadline {Deadline})", signpost.SignpostId, topic,
            signpost.Hypothesis, signpost.Expect, signpost.Deadline);
        return await IngestionService.FinishWriteAsync(conn, tx, who, new IngestResult(IngestStatus.Created, signpost.SignpostId, stream, result.Version, result.Written, []), ct);
    }

    private static IngestResult NotFound(string topic, string stream) => new(IngestStatus.NotFound, topic, stream, 0, 0, [], $"Topic '{topic}' is not open.");

    private static async Task LockAsync(NpgsqlConnection conn, NpgsqlTransaction tx, string stream, CancellationToken ct)
    {
        await using var lk = new NpgsqlCommand("select pg_advisory_xact_lock(hashtextextended($1, 7))", conn, tx) { Parameters = { new() { Value = stream } } };
        await lk.ExecuteNonQueryAsync(ct);
    }
}
