using System.Collections.Immutable;
using Narrative.Domain;
using Narrative.Domain.Corpus;

namespace Narrative.Analysis.Ingestion;

/// <summary>
/// References accumulated from validated entries, for `narrative validate`: on top of what a store holds
/// (<c>--db</c>, <c>--api</c>), or of nothing (offline, the folder's own files only).
/// </summary>
internal sealed class OfflineReferences(KnownReferences held)
{
    private readonly Dictionary<string, string> _sources = new(held.Sources, StringComparer.Ordinal);
    private readonly Dictionary<string, KnownTopic> _topics = new(held.Topics, StringComparer.Ordinal);
    private readonly Dictionary<string, KnownDocument> _documents = new(held.Documents, StringComparer.Ordinal);
    private readonly Dictionary<string, KnownItem> _items = new(held.Items, StringComparer.Ordinal);

    public KnownReferences Snapshot() => new(_sources.ToImmutableDictionary(), _topics.ToImmutableDictionary(),
        _documents.ToImmutableDictionary(), _items.ToImmutableDictionary());

    public IReadOnlyList<FieldError> Add(Validated<SourceRegistered> v)
    {
        if (v.IsValid) _sources[v.Value!.SourceId] = v.Value.Reliability;
        return v.Errors;
    }

    public IReadOnlyList<FieldError> Add(Validated<TopicOpened> v)
    {
        if (v.IsValid)
            _topics[v.Value!.TopicId] = new KnownTopic(v.Value.Hypotheses.Select(h => h.Id).ToImmutableHashSet(), v.Value.PeriodStart, v.Value.PeriodEnd);
        return v.Errors;
    }

    public IReadOnlyList<FieldError> Add(TopicRevisionInput r)
    {
        if (!_topics.TryGetValue(r.Topic, out var topic))
            return [new FieldError("$", ErrorCodes.UnknownTopic, $"Topic '{r.Topic}' is not open.")];
        var v = HypothesisRevisionValidator.Validate(r.Topic, r.Revision, topic.Hypotheses);
        if (v.IsValid)
        {
            var leaving = v.Value!.Retired.Concat(v.Value.Splits.Select(s => s.From)).ToHashSet(StringComparer.Ordinal);
            _topics[r.Topic] = topic with
            {
                Hypotheses = topic.Hypotheses.Where(h => !leaving.Contains(h)).Concat(v.Value.Added.Select(h => h.Id)).ToImmutableHashSet(),
            };
        }
        return v.Errors;
    }

    public IReadOnlyList<FieldError> Add(TopicSignpostInput p) =>
        _topics.TryGetValue(p.Topic, out var topic)
            ? SignpostValidator.Validate(p.Topic, p.Signpost, topic.Hypotheses).Errors
            : [new FieldError("$", ErrorCodes.UnknownTopic, $"Topic '{p.Topic}' is not open.")];

    public IReadOnlyList<FieldError> Add(Validated<IngestedDocument> v)
    {
        if (!v.IsValid) return v.Errors;
        var d = v.Value!;
        _documents[d.Document.DocumentId] = new KnownDocument(d.Document.PublishedAt,
            d.Items.Select(i => i.Claim).ToImmutableHashSet(), d.Items.Select(i => i.ItemId).ToImmutableHashSet());
        foreach (var i in d.Items) _items[i.ItemId] = new KnownItem(i.DocumentId, i.Topic);
        return v.Errors;
    }
}
