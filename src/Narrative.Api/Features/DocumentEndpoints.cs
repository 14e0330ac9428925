using Narrative.Analysis;
using Narrative.Api.Hosting;
using Narrative.Domain;

namespace Narrative.Api.Features;

/// <summary>
/// A document as its stream records it: title, link and the text of its items (summary, quote, speaker), which the
/// analysis answers leave out. The web explorer's item cards read it.
/// </summary>
public static class DocumentEndpoints
{
    /// <param name="Credibility">After the corrections known at <c>knownAt</c>.</param>
    /// <param name="Retracted">A correction retracted the item (known at <c>knownAt</c>).</param>
    public sealed record ItemText(
        string ItemId, string Topic, string Type, string Claim, string Summary, string? Quote, string? AttributedTo, DateOnly? OccurredAt,
        int Credibility, IReadOnlyDictionary<string, string> Ratings, IReadOnlyList<string> Rebuts, bool Retracted);

    public sealed record DocumentView(
        string DocumentId, string Source, DateOnly PublishedAt, string Title, string? Url, IReadOnlyList<string> Authors,
        IReadOnlyList<string> Cites, string? CaptureId, long Version, IReadOnlyList<ItemText> Items);

    public static void MapDocuments(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/documents/{id}", async (string id, string? knownAt, NarrativeServices s, CancellationToken ct) =>
        {
            if (!TimeParams.TryInstant(knownAt, s.Clock.GetUtcNow(), out var k)) return TimeParams.Invalid("knownAt");
            var events = await s.Log.ReadStreamAsync(NarrativeEventTypes.DocumentStream(id), ct, recordedUntil: k);
            return Fold(events.Select(s.Log.Deserialize)) is { } doc
                ? TypedResults.Ok(doc)
                : Problems.NotFound($"Document '{id}' is not known (at that system time).");
        })
            .WithName("GetDocument")
            .WithSummary("A document with the text of its items (summary, quote, speaker), as known at knownAt")
            .WithTags("Analysis")
            .Produces<DocumentView>()
            .ProducesProblem(400)
            .ProducesProblem(404);
    }

    private static DocumentView? Fold(IEnumerable<object?> events)
    {
        DocumentView? doc = null;
        var items = new List<ItemText>();
        long version = 0;
        foreach (var e in events)
        {
            version++;
            switch (e)
            {
                case DocumentIngested d:
                    doc = new DocumentView(d.DocumentId, d.Source, d.PublishedAt, d.Title, d.Url, d.Authors, d.Cites, d.CaptureId, 0, []);
                    break;
                case ItemRecorded i:
                    items.Add(new ItemText(i.ItemId, i.Topic, i.Type, i.Claim, i.Summary, i.Quote, i.AttributedTo, i.OccurredAt, i.Credibility,
                        i.Ratings, i.Rebuts, false));
                    break;
                case ItemRerated r:
                    Update(items, r.ItemId, x => x with { Credibility = r.Credibility ?? x.Credibility, Ratings = r.Ratings ?? x.Ratings });
                    break;
                case ItemRetracted r:
                    Update(items, r.ItemId, x => x with { Retracted = true });
                    break;
            }
        }
        return doc is null ? null : doc with { Version = version, Items = items };
    }

    private static void Update(List<ItemText> items, string itemId, Func<ItemText, ItemText> change)
    {
        var i = items.FindIndex(x => x.ItemId == itemId);
        if (i >= 0) items[i] = change(items[i]);
    }
}
