namespace Narrative.Domain.Assessment;

/// <summary>
/// One item as the analysis sees it at a point in (world, system) time: current ratings and credibility after
/// corrections, its source's reliability, and <paramref name="Position"/>, the log position of its ItemRecorded
/// (the tie-break for "first appearance"). <paramref name="Speaker"/> is the source whose words or acts the item
/// reports, when it names one, and <paramref name="SpeakerReliability"/> that source's grade at the same system time.
/// </summary>
public sealed record EvidenceItem(
    string ItemId, string DocumentId, string Source, string Reliability, DateOnly PublishedAt, long Position,
    string Topic, string Type, string Claim, int Credibility, IReadOnlyDictionary<string, string> Ratings,
    IReadOnlyList<string> Rebuts, string? Speaker = null, string? SpeakerReliability = null)
{
    /// <summary>Order of appearance: earliest publishedAt, then the earlier recorded position, then item id.</summary>
    public static IComparer<EvidenceItem> AppearanceOrder { get; } = Comparer<EvidenceItem>.Create((a, b) =>
    {
        var c = a.PublishedAt.CompareTo(b.PublishedAt);
        if (c != 0)
        {
            return c;
        }
        c = a.Position.CompareTo(b.Position);
        return c != 0 ? c : string.CompareOrdinal(a.ItemId, b.ItemId);
    });
}
