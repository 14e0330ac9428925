using Narrative.Domain;
using Narrative.Domain.Assessment;
using Narrative.Domain.Provenance;
using JasperFx.Events;
using Narrative.Storage;

namespace Narrative.Analysis.Reactions;

/// <summary>
/// A new appearance of a known claim (another non-retracted item with the same claim is already held) gets an
/// <see cref="AppearanceLinked"/>: derivative, with <c>DerivedFrom</c> the nearest document it cites (directly or through
/// cited documents, breadth first) that carries the claim, or independent (<c>Derivative: false</c>, a corroboration).
/// The rule is <see cref="ProvenanceAnalysis.DerivedFrom"/>, the provenance query's own. The first appearance of a
/// claim records nothing. The event goes to the item's topic stream, where readers of the topic find all reactions.
/// </summary>
public static class ProvenanceLinker
{
    public const string Name = "reaction.provenance";

    public static Task Handle(IEvent<ItemRecorded> e, EventLog log, TimeProvider clock, CancellationToken ct) =>
        ReactAsync(e.Data, new ReactionContext(Name, e, log, clock), ct);

    public static async Task ReactAsync(ItemRecorded item, ReactionContext ctx, CancellationToken ct)
    {
        var others = await ReactionLog.ReadAsync(ctx,
            $"e.type = $3 and e.data->>'claim' = $4 and e.data->>'itemId' <> $5 and {ReactionLog.NotRetracted(6)}",
            [ReactionLog.TypeName<ItemRecorded>(ctx), item.Claim, item.ItemId, ReactionLog.TypeName<ItemRetracted>(ctx)], ct);
        if (others.Count == 0) return;

        var cites = await CitesReachableFromAsync(ctx, item.DocumentId, ct);
        var appearances = others.Select(e => (ItemRecorded)e.Data).Append(item)
            .Select(i => new EvidenceItem(i.ItemId, i.DocumentId, i.Source, "", i.PublishedAt, 0, i.Topic, i.Type, i.Claim, i.Credibility, i.Ratings, i.Rebuts));
        var derivedFrom = ProvenanceAnalysis.DerivedFrom(appearances, cites)[item.ItemId];

        await ReactionLog.AppendAsync(ctx, NarrativeEventTypes.TopicStream(item.Topic),
            [new AppearanceLinked(item.Claim, item.ItemId, item.DocumentId, derivedFrom is not null, derivedFrom)], ct);
    }

    /// <summary>The cites of every document reachable from <paramref name="start"/>, loaded level by level (not the whole corpus).</summary>
    private static async Task<IReadOnlyDictionary<string, IReadOnlyList<string>>> CitesReachableFromAsync(ReactionContext ctx, string start, CancellationToken ct)
    {
        var cites = new Dictionary<string, IReadOnlyList<string>>(StringComparer.Ordinal);
        var frontier = new List<string> { start };
        while (frontier.Count > 0)
        {
            var docs = await ReactionLog.ReadAsync(ctx, "e.type = $3 and e.stream_id = any($4)",
                [ReactionLog.TypeName<DocumentIngested>(ctx), frontier.Select(NarrativeEventTypes.DocumentStream).ToArray()], ct);
            foreach (var d in docs.Select(e => (DocumentIngested)e.Data)) cites[d.DocumentId] = d.Cites;
            foreach (var id in frontier) cites.TryAdd(id, []);
            frontier = [.. frontier.SelectMany(id => cites[id]).Where(id => !cites.ContainsKey(id)).Distinct(StringComparer.Ordinal)];
        }
        return cites;
    }
}
