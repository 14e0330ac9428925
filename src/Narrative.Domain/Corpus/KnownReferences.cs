using System.Collections.Immutable;

namespace Narrative.Domain.Corpus;

/// <summary>What the store already holds, as far as validation needs it.</summary>
public sealed record KnownReferences(
    IReadOnlyDictionary<string, string> Sources,
    IReadOnlyDictionary<string, KnownTopic> Topics,
    IReadOnlyDictionary<string, KnownDocument> Documents,
    IReadOnlyDictionary<string, KnownItem> Items)
{
    public static KnownReferences Empty { get; } = new(
        ImmutableDictionary<string, string>.Empty,
        ImmutableDictionary<string, KnownTopic>.Empty,
        ImmutableDictionary<string, KnownDocument>.Empty,
        ImmutableDictionary<string, KnownItem>.Empty);
}

public sealed record KnownTopic(IReadOnlySet<string> Hypotheses, DateOnly PeriodStart, DateOnly PeriodEnd);

public sealed record KnownDocument(DateOnly PublishedAt, IReadOnlySet<string> Claims, IReadOnlySet<string> ItemIds);

public sealed record KnownItem(string DocumentId, string Topic, bool Retracted = false);
