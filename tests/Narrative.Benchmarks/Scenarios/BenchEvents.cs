using System.Text.Json;
using Narrative.Storage;

namespace Narrative.Benchmarks.Scenarios;

/// <summary>
/// Mirrors the domain's ItemRecorded field for field, but is owned by the benchmark so a change to the domain
/// does not silently change what the numbers measure.
/// </summary>
public sealed record BenchItemRecorded(
    string ItemId, string DocumentId, string Source, DateOnly PublishedAt, string Topic, string Type, string Claim,
    string Summary, string? Quote, string? AttributedTo, DateOnly? OccurredAt, int Credibility,
    IReadOnlyDictionary<string, string> Ratings, IReadOnlyList<string> Rebuts, string? Note);

/// <summary>
/// Deterministic events: the same (stream, version) always yields the same id, payload and metadata, so raw and ours
/// write identical rows. Event ids start with seeded random bytes, so the unique index sees v4-like inserts.
/// </summary>
public static class BenchEvents
{
    public const string TypeName = "bench.item_recorded.v1";

    private static readonly DateTimeOffset Epoch = new(2024, 1, 1, 0, 0, 0, TimeSpan.Zero);

    private static readonly string[] Sources = ["reuters", "ap", "bbc", "le-monde", "der-spiegel", "nyt", "ft", "al-jazeera"];
    private static readonly string[] Topics = ["energy-prices-2024", "port-strike", "election-funding", "water-rights", "chip-export-rules"];
    private static readonly string[] Kinds = ["statement", "signal", "report", "denial", "leak"];
    private static readonly string[] Claims =
    [
        "The ministry knew of the shortfall weeks before the announcement",
        "Northern terminal shipments were halted on regional orders",
        "The bid was backed by an undisclosed loan guarantee",
        "Monitors were denied access to the pumping stations",
    ];
    private static readonly string[] Summaries =
    [
        "Two officials said internal forecasts from early March showed the gap, contradicting later testimony.",
        "Port workers describe a verbal instruction from the harbour master; no written order has been published.",
        "Documents list a state-owned bank as guarantor; the committee's minutes from that week do not mention it.",
        "The monitors' letter complains of repeated refusals at three sites in the eastern district.",
    ];
    private static readonly string[] Quotes =
    [
        "We were told to keep the numbers inside until after the vote.",
        "Nobody signed anything. It was a phone call.",
        "The guarantee was routine; there was nothing to disclose.",
    ];
    private static readonly string[] People = ["a senior ministry official", "the harbour master", "the finance minister", "a spokesperson for the consortium"];
    private static readonly string[] Ratings = ["supports", "neutral", "contradicts", "unclear"];

    /// <summary>The JSON options the bench store hands to Marten (Marten adds camelCase and enums as strings) and the raw side uses.</summary>
    public static JsonSerializerOptions Json { get; } = new(JsonSerializerDefaults.Web);

    public static string StreamId(string prefix, int stream) => $"bench-{prefix}-{stream:D6}";

    /// <summary>Events for versions <paramref name="firstVersion"/> .. +count-1 (1-based) of one stream.</summary>
    public static List<EventData> Create(int salt, int stream, int firstVersion, int count)
    {
        var list = new List<EventData>(count);
        for (var v = firstVersion; v < firstVersion + count; v++) list.Add(Create(salt, stream, v));
        return list;
    }

    public static EventData Create(int salt, int stream, int version)
    {
        var rnd = new Random(unchecked(((salt * 1_000_003) + stream) * 1_000_033 + version));
        Span<byte> id = stackalloc byte[16];
        rnd.NextBytes(id[..8]);
        BitConverter.TryWriteBytes(id[8..12], stream ^ (salt << 24));
        BitConverter.TryWriteBytes(id[12..16], version);

        var published = DateOnly.FromDateTime(Epoch.UtcDateTime).AddDays(version % 365);
        var data = new BenchItemRecorded(
            ItemId: $"item-{stream:D6}-{version:D6}",
            DocumentId: $"doc-{stream:D6}-{version / 8:D5}",
            Source: Pick(rnd, Sources),
            PublishedAt: published,
            Topic: Pick(rnd, Topics),
            Type: Pick(rnd, Kinds),
            Claim: Pick(rnd, Claims),
            Summary: Pick(rnd, Summaries),
            Quote: rnd.Next(3) == 0 ? null : Pick(rnd, Quotes),
            AttributedTo: Pick(rnd, People),
            OccurredAt: rnd.Next(2) == 0 ? published.AddDays(-rnd.Next(30)) : null,
            Credibility: rnd.Next(1, 6),
            Ratings: new Dictionary<string, string> { ["h1"] = Pick(rnd, Ratings), ["h2"] = Pick(rnd, Ratings), ["h3"] = Pick(rnd, Ratings) },
            Rebuts: version > 1 && rnd.Next(4) == 0 ? [$"item-{stream:D6}-{version - 1:D6}"] : [],
            Note: rnd.Next(5) == 0 ? "Second source pending; treat as provisional." : null);
        var metadata = new EventMetadata { CorrelationId = $"ingest-{stream:D6}-{version / 100:D4}", Actor = "bench-ingest" };
        return new EventData(new Guid(id), data, metadata);
    }

    private static string Pick(Random rnd, string[] values) => values[rnd.Next(values.Length)];
}
