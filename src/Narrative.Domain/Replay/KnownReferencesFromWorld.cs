using System.Collections.Immutable;
using Narrative.Domain.Corpus;

namespace Narrative.Domain.Replay;

public static class KnownReferencesFromWorld
{
    /// <summary>What validation needs to know about the current state of the world (latest versions).</summary>
    public static KnownReferences ToKnownReferences(this NarrativeWorld world)
    {
        ArgumentNullException.ThrowIfNull(world);
        var sources = world.Sources.ToImmutableDictionary(s => s.Key, s => s.Value[^1].Value.Reliability, StringComparer.Ordinal);
        var topics = world.Topics.ToImmutableDictionary(
            t => t.Key,
            t =>
            {
                var v = t.Value[^1].Value;
                return new KnownTopic(v.Hypotheses.Select(h => h.Id).ToImmutableHashSet(StringComparer.Ordinal), v.PeriodStart, v.PeriodEnd);
            },
            StringComparer.Ordinal);
        var itemsByDocument = world.Items.Values.ToLookup(i => i.Recorded.DocumentId, StringComparer.Ordinal);
        var documents = world.Documents.ToImmutableDictionary(
            d => d.Key,
            d => new KnownDocument(
                d.Value[^1].Value.PublishedAt,
                itemsByDocument[d.Key].Where(i => i.Retraction is null).Select(i => i.Recorded.Claim).ToImmutableHashSet(StringComparer.Ordinal),
                itemsByDocument[d.Key].Select(i => i.ItemId).ToImmutableHashSet(StringComparer.Ordinal)),
            StringComparer.Ordinal);
        var items = world.Items.ToImmutableDictionary(
            i => i.Key, i => new KnownItem(i.Value.Recorded.DocumentId, i.Value.Recorded.Topic, i.Value.Retraction is not null), StringComparer.Ordinal);
        return new KnownReferences(sources, topics, documents, items);
    }
}
