using System.Text.Json;
using Narrative.Analysis.Queries;
using Narrative.Domain.Assessment;
using Narrative.Domain.Replay;
using Narrative.Storage;

namespace Narrative.Analysis.Audit;

public sealed record AuditEvent(long Position, string Stream, long Version, string Type, string? Hash, DateTimeOffset RecordedAt);

public sealed record AuditResult(
    string Topic, DateTimeOffset AsOf, DateTimeOffset KnownAt, long Position,
    AssessmentResult Answer, AssessmentResult? Replayed, bool ReplayMatches,
    bool ChainIntact, IReadOnlyList<VerificationFailure> Failures, IReadOnlyList<AuditEvent> Events);

/// <summary>
/// The auditor's check of an assessment: the events it was computed from, the same answer recomputed by replaying
/// exactly those events through the pure domain functions, and a verification of their streams' hash chains.
/// </summary>
public sealed class AuditService(EventLog store, AnalysisQueries queries)
{
    public async Task<AuditResult?> AuditAssessmentAsync(string topic, DateTimeOffset asOf, DateTimeOffset knownAt, CancellationToken ct)
    {
        var answer = await queries.AssessAsync(topic, asOf, knownAt, ct);
        if (answer is null) return null;
        var events = await store.ReadByIdsAsync(answer.EventPositions, ct);
        var replayed = WorldQueries.Assess(Replay(events), topic, asOf, knownAt);
        var failures = await store.VerifyAsync(ct, events.Select(e => e.StreamId).Distinct().ToList());
        return new AuditResult(topic, asOf, knownAt, answer.Position, answer, replayed, Same(answer, replayed), failures.Count == 0, failures,
            events.Select(e => new AuditEvent(e.Position, e.StreamId, e.Version, e.Type, e.Hash, e.RecordedAt)).ToList());
    }

    public NarrativeWorld Replay(IEnumerable<StoredEvent> events) =>
        NarrativeWorld.From(events.Select(e => store.Deserialize(e) is { } data ? new RecordedEvent(e.Position, e.StreamId, data, e.RecordedAt) : null)
            .OfType<RecordedEvent>());

    /// <summary>Answers are equal when their JSON is equal: every number, flag and list in the same order.</summary>
    public static bool Same<T>(T a, T b) =>
        JsonSerializer.Serialize(a, NarrativeEvents.Json) == JsonSerializer.Serialize(b, NarrativeEvents.Json);
}
