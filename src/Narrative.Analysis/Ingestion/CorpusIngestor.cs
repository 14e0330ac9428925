using Narrative.Domain.Corpus;

namespace Narrative.Analysis.Ingestion;

public sealed record CorpusOutcome(CorpusEntry Entry, IngestResult Result);

/// <summary>Ingests corpus entries in their dependency order. Idempotent: a second run reports everything unchanged.</summary>
public sealed class CorpusIngestor(IngestionService ingestion)
{
    public async Task<IReadOnlyList<CorpusOutcome>> IngestAsync(IReadOnlyList<CorpusEntry> entries, IngestContext who,
        IProgress<CorpusOutcome>? progress, CancellationToken ct)
    {
        var outcomes = new List<CorpusOutcome>();
        foreach (var e in entries)
        {
            var result = e.Input switch
            {
                null => IngestResult.Invalid(e.Id, e.Errors ?? [new FieldError("$", "unreadable", "unreadable")]),
                SourceInput s => await ingestion.RegisterSourceAsync(s, who, ct),
                TopicInput t => await ingestion.OpenTopicAsync(t, who, ct),
                ContextPeriodInput c => await ingestion.RecordContextPeriodAsync(c, who, ct),
                TopicRevisionInput r => await ingestion.ReviseHypothesesAsync(r.Topic, r.Revision, who, ct),
                TopicSignpostInput p => await ingestion.SetSignpostAsync(p.Topic, p.Signpost, who, ct),
                DocumentInput d => await ingestion.IngestDocumentAsync(d, e.SizeBytes, who, ct),
                _ => throw new InvalidOperationException($"Unknown corpus entry {e.Input.GetType().Name}"),
            };
            var outcome = new CorpusOutcome(e, result);
            outcomes.Add(outcome);
            progress?.Report(outcome);
        }
        return outcomes;
    }

    /// <summary>
    /// Validation only (no writes), with every rule ingestion applies. References resolve against <paramref name="held"/>
    /// (what a store holds, or nothing) plus the entries themselves, in order, as ingestion would see them.
    /// </summary>
    public static IReadOnlyList<CorpusOutcome> ValidateOffline(IReadOnlyList<CorpusEntry> entries, DateOnly today, KnownReferences? held = null)
    {
        var known = new OfflineReferences(held ?? KnownReferences.Empty);
        var list = new List<CorpusOutcome>();
        foreach (var e in entries)
        {
            IReadOnlyList<FieldError> errors = e.Input switch
            {
                null => e.Errors ?? [new FieldError("$", "unreadable", "unreadable")],
                SourceInput s => known.Add(SourceValidator.Validate(s)),
                TopicInput t => known.Add(TopicValidator.Validate(t)),
                ContextPeriodInput c => ContextPeriodValidator.Validate(c).Errors,
                TopicRevisionInput r => known.Add(r),
                TopicSignpostInput p => known.Add(p),
                DocumentInput d => known.Add(DocumentValidator.Validate(d, known.Snapshot(), today, e.SizeBytes)),
                _ => [],
            };
            list.Add(new CorpusOutcome(e, errors.Count == 0
                ? new IngestResult(IngestStatus.Created, e.Id, "", 0, 0, [])
                : IngestResult.Invalid(e.Id, errors)));
        }
        return list;
    }
}
