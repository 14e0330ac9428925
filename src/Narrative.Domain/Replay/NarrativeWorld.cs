using System.Collections.Immutable;
using Narrative.Domain.Analysts;
using Narrative.Domain.Assessment;

namespace Narrative.Domain.Replay;

/// <summary>An event as read from the log: <paramref name="Data"/> is one of the records in Events.cs.</summary>
public sealed record RecordedEvent(long Position, string Stream, object Data, DateTimeOffset RecordedAt);

/// <summary>A value and the event that recorded it (system time).</summary>
public sealed record Versioned<T>(long Position, DateTimeOffset RecordedAt, T Value);

/// <summary>
/// One system-time version of an item's assessment. Valid from the event that created it (ItemRecorded or
/// ItemRerated) until the event that superseded it (a later ItemRerated or an ItemRetracted); To* are null while current.
/// </summary>
public sealed record ItemVersion(
    long FromPosition, DateTimeOffset FromRecordedAt, long? ToPosition, DateTimeOffset? ToRecordedAt,
    IReadOnlyDictionary<string, string> Ratings, int Credibility, string? Reason)
{
    public bool ValidAt(DateTimeOffset knownAt) => FromRecordedAt <= knownAt && (ToRecordedAt is null || ToRecordedAt > knownAt);
}

public sealed record ItemRetraction(long Position, DateTimeOffset RecordedAt, string Reason);

public sealed record ItemHistory(ItemRecorded Recorded, long Position, DateTimeOffset RecordedAt, ImmutableList<ItemVersion> Versions, ItemRetraction? Retraction)
{
    public string ItemId => Recorded.ItemId;

    /// <summary>The version the system held at <paramref name="knownAt"/>; null if not yet recorded or already retracted.</summary>
    public ItemVersion? VersionAt(DateTimeOffset knownAt)
    {
        // By index, newest first: enumerating an ImmutableList costs more than the check (this runs per item per query).
        for (var i = Versions.Count - 1; i >= 0; i--)
        {
            if (Versions[i].ValidAt(knownAt))
            {
                return Versions[i];
            }
        }
        return null;
    }

    public bool KnownAt(DateTimeOffset knownAt) => RecordedAt <= knownAt;

    public bool RetractedAt(DateTimeOffset knownAt) => Retraction is { } r && r.RecordedAt <= knownAt;
}

/// <summary>
/// Everything the log says, folded in position order, with system-time history kept so that any (asOf, knownAt)
/// can be answered. Re-registering a source, topic, context period or document adds a version; the latest
/// version recorded at or before knownAt is the one in force.
/// </summary>
public sealed record NarrativeWorld(
    ImmutableDictionary<string, ImmutableList<Versioned<SourceRegistered>>> Sources,
    ImmutableDictionary<string, ImmutableList<Versioned<TopicOpened>>> Topics,
    ImmutableDictionary<string, ImmutableList<Versioned<ContextPeriodRecorded>>> ContextPeriods,
    ImmutableDictionary<string, ImmutableList<Versioned<DocumentIngested>>> Documents,
    ImmutableDictionary<string, ItemHistory> Items,
    long LastPosition)
{
    /// <summary>Analysts' ratings by topic, in position order (see <see cref="RatingViews"/> for how they are read).</summary>
    public ImmutableDictionary<string, ImmutableList<AnalystRating>> Ratings { get; init; } =
        ImmutableDictionary.Create<string, ImmutableList<AnalystRating>>(StringComparer.Ordinal);

    public IReadOnlyList<AnalystRating> RatingsOf(string topic) => Ratings.GetValueOrDefault(topic) ?? [];

    public static NarrativeWorld Empty { get; } = new(
        ImmutableDictionary.Create<string, ImmutableList<Versioned<SourceRegistered>>>(StringComparer.Ordinal),
        ImmutableDictionary.Create<string, ImmutableList<Versioned<TopicOpened>>>(StringComparer.Ordinal),
        ImmutableDictionary.Create<string, ImmutableList<Versioned<ContextPeriodRecorded>>>(StringComparer.Ordinal),
        ImmutableDictionary.Create<string, ImmutableList<Versioned<DocumentIngested>>>(StringComparer.Ordinal),
        ImmutableDictionary.Create<string, ItemHistory>(StringComparer.Ordinal),
        0);

    /// <summary>Revisions of each topic's hypothesis set, in log order (each also adds a version to <see cref="Topics"/>).</summary>
    public ImmutableDictionary<string, ImmutableList<Versioned<HypothesesRevised>>> Revisions { get; init; } =
        ImmutableDictionary.Create<string, ImmutableList<Versioned<HypothesesRevised>>>(StringComparer.Ordinal);

    /// <summary>Signposts and what became of them (set, matched, expired), per topic, in log order.</summary>
    public ImmutableDictionary<string, ImmutableList<Versioned<object>>> Signposts { get; init; } =
        ImmutableDictionary.Create<string, ImmutableList<Versioned<object>>>(StringComparer.Ordinal);

    /// <summary>Folds <paramref name="events"/> in position order.</summary>
    public static NarrativeWorld From(IEnumerable<RecordedEvent> events)
    {
        ArgumentNullException.ThrowIfNull(events);
        return events.OrderBy(e => e.Position).Aggregate(Empty, (world, e) => world.Apply(e));
    }

    /// <summary>Applies one event. Reaction events (flags, links, shifts) and unknown types leave the state unchanged.</summary>
    public NarrativeWorld Apply(RecordedEvent e)
    {
        ArgumentNullException.ThrowIfNull(e);
        var next = e.Data switch
        {
            SourceRegistered s => this with { Sources = AddVersion(Sources, s.SourceId, e, s) },
            // A regrade is a new version of the source with the new grade; earlier system times keep the old one.
            SourceRegraded g when Sources.TryGetValue(g.SourceId, out var held) => this with
            {
                Sources = AddVersion(Sources, g.SourceId, e, held[^1].Value with { Reliability = g.Reliability, Rationale = g.Reason }),
            },
            TopicOpened t => this with { Topics = AddVersion(Topics, t.TopicId, e, t) },
            HypothesesRevised r when Topics.TryGetValue(r.TopicId, out var topic) => this with
            {
                Topics = AddVersion(Topics, r.TopicId, e, topic[^1].Value with { Hypotheses = Hypotheses.HypothesisRevision.Apply(topic[^1].Value.Hypotheses, r) }),
                Revisions = AddVersion(Revisions, r.TopicId, e, r),
            },
            SignpostSet p => this with { Signposts = AddVersion(Signposts, p.Topic, e, (object)p) },
            SignpostMatched m => this with { Signposts = AddVersion(Signposts, m.Topic, e, (object)m) },
            SignpostExpired x => this with { Signposts = AddVersion(Signposts, x.Topic, e, (object)x) },
            ContextPeriodRecorded c => this with { ContextPeriods = AddVersion(ContextPeriods, c.PeriodId, e, c) },
            DocumentIngested d => this with { Documents = AddVersion(Documents, d.DocumentId, e, d) },
            ItemRecorded i when !Items.ContainsKey(i.ItemId) => this with
            {
                Items = Items.Add(i.ItemId, new ItemHistory(i, e.Position, e.RecordedAt,
                    [new ItemVersion(e.Position, e.RecordedAt, null, null, Ordinal(i.Ratings), i.Credibility, null)], null)),
            },
            ItemRerated r when Items.TryGetValue(r.ItemId, out var h) && h.Retraction is null => this with
            {
                Items = Items.SetItem(r.ItemId, Rerate(h, r, e)),
            },
            ItemRetracted x when Items.TryGetValue(x.ItemId, out var h) && h.Retraction is null => this with
            {
                Items = Items.SetItem(x.ItemId, h with
                {
                    Versions = CloseLast(h.Versions, e),
                    Retraction = new ItemRetraction(e.Position, e.RecordedAt, x.Reason),
                }),
            },
            RatingRecorded r => this with
            {
                Ratings = Ratings.SetItem(r.Topic, (Ratings.GetValueOrDefault(r.Topic) ?? []).Add(
                    new AnalystRating(e.Position, e.RecordedAt, r.AnalystId, r.Topic, r.Claim, Ordinal(r.Ratings), r.Credibility, r.Note))),
            },
            _ => this,
        };
        return next with { LastPosition = Math.Max(LastPosition, e.Position) };
    }

    /// <summary>
    /// Ratings in ordinal key order, as the read model holds them: an event read back from the log's jsonb has its keys
    /// in jsonb's order (shorter keys first), which would make the same answer serialise differently.
    /// </summary>
    private static IReadOnlyDictionary<string, string> Ordinal(IReadOnlyDictionary<string, string> ratings) =>
        ratings is ImmutableSortedDictionary<string, string> { KeyComparer: var c } sorted && ReferenceEquals(c, StringComparer.Ordinal)
            ? sorted
            : ratings.ToImmutableSortedDictionary(StringComparer.Ordinal);

    private static ItemHistory Rerate(ItemHistory h, ItemRerated r, RecordedEvent e)
    {
        var last = h.Versions[^1];
        // Ratings given in a re-rating overlay the previous ones; a re-rating may touch only credibility.
        var ratings = last.Ratings.ToImmutableSortedDictionary(StringComparer.Ordinal);
        foreach (var (k, v) in r.Ratings ?? ImmutableDictionary<string, string>.Empty)
        {
            ratings = ratings.SetItem(k, v);
        }
        var version = new ItemVersion(e.Position, e.RecordedAt, null, null, ratings, r.Credibility ?? last.Credibility, r.Reason);
        return h with { Versions = CloseLast(h.Versions, e).Add(version) };
    }

    private static ImmutableList<ItemVersion> CloseLast(ImmutableList<ItemVersion> versions, RecordedEvent e) =>
        versions.SetItem(versions.Count - 1, versions[^1] with { ToPosition = e.Position, ToRecordedAt = e.RecordedAt });

    private static ImmutableDictionary<string, ImmutableList<Versioned<T>>> AddVersion<T>(
        ImmutableDictionary<string, ImmutableList<Versioned<T>>> map, string id, RecordedEvent e, T value) =>
        map.SetItem(id, (map.GetValueOrDefault(id) ?? []).Add(new Versioned<T>(e.Position, e.RecordedAt, value)));

    internal static Versioned<T>? InForce<T>(ImmutableDictionary<string, ImmutableList<Versioned<T>>> map, string id, DateTimeOffset knownAt) =>
        map.GetValueOrDefault(id)?.LastOrDefault(v => v.RecordedAt <= knownAt);

    private sealed record ItemListCache(ImmutableDictionary<string, ItemHistory> Of, ImmutableArray<ItemHistory> List, EvidenceItem?[] Stable);

    private ItemListCache? _itemList;

    /// <summary>
    /// <see cref="Items"/> in (publishedAt, item id) order, made once per Items map: a world is queried many times,
    /// enumerating an ImmutableDictionary costs more than the work done per item, and answers list evidence in this
    /// order.
    /// </summary>
    public ImmutableArray<ItemHistory> ItemList => ItemListOf().List;

    /// <summary>
    /// For each of <see cref="ItemList"/>, the item as the analysis sees it whenever it is visible, when that cannot
    /// vary with (asOf, knownAt): one version (never re-rated nor retracted) and a source registered once. Null for
    /// the others. A cached world is asked many questions; these need not be rebuilt for each.
    /// </summary>
    internal IReadOnlyList<EvidenceItem?> StableEvidence => ItemListOf().Stable;

    // `with` copies the field, hence the check on Of; the holder is one reference, so readers on other threads see
    // either no holder or a complete one.
    private ItemListCache ItemListOf()
    {
        if (_itemList is { } cached && ReferenceEquals(cached.Of, Items))
        {
            return cached;
        }
        var list = Items.Values.ToArray();
        Array.Sort(list, static (a, b) =>
        {
            var c = a.Recorded.PublishedAt.CompareTo(b.Recorded.PublishedAt);
            return c != 0 ? c : string.CompareOrdinal(a.ItemId, b.ItemId);
        });
        var stable = new EvidenceItem?[list.Length];
        for (var i = 0; i < list.Length; i++)
        {
            var h = list[i];
            if (h.Versions.Count == 1 && h.Retraction is null && Sources.GetValueOrDefault(h.Recorded.Source) is { Count: 1 } source)
            {
                var r = h.Recorded;
                var v = h.Versions[0];
                if (r.Speaker is not null && Sources.GetValueOrDefault(r.Speaker) is not { Count: 1 })
                {
                    continue;
                }
                stable[i] = new EvidenceItem(r.ItemId, r.DocumentId, r.Source, source[0].Value.Reliability, r.PublishedAt, h.Position,
                    r.Topic, r.Type, r.Claim, v.Credibility, v.Ratings, r.Rebuts, r.Speaker,
                    r.Speaker is null ? null : Sources[r.Speaker][0].Value.Reliability);
            }
        }
        var result = new ItemListCache(Items, ImmutableArray.Create(list), stable);
        _itemList = result;
        return result;
    }

    public Versioned<TopicOpened>? TopicAt(string topic, DateTimeOffset knownAt) => InForce(Topics, topic, knownAt);

    /// <summary>The revisions of a topic's hypothesis set recorded at or before <paramref name="knownAt"/>.</summary>
    public IReadOnlyList<Versioned<HypothesesRevised>> RevisionsAt(string topic, DateTimeOffset knownAt) =>
        [.. (Revisions.GetValueOrDefault(topic) ?? []).Where(v => v.RecordedAt <= knownAt)];

    public Versioned<SourceRegistered>? SourceAt(string source, DateTimeOffset knownAt) => InForce(Sources, source, knownAt);

    public Versioned<DocumentIngested>? DocumentAt(string document, DateTimeOffset knownAt) => InForce(Documents, document, knownAt);
}
