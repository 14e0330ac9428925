using System.Collections.Immutable;
using Narrative.Domain.Corpus;
using Npgsql;

namespace Narrative.Analysis.Ingestion;

/// <summary>The ids a set of corpus files names: what `narrative validate --db/--api` asks the store about.</summary>
public sealed record ReferenceQuery(
    IReadOnlyList<string>? Sources, IReadOnlyList<string>? Topics, IReadOnlyList<string>? Documents, IReadOnlyList<string>? Items)
{
    public const int MaxIds = 10_000;

    public static ReferenceQuery From(IEnumerable<CorpusEntry> entries)
    {
        var docs = entries.Select(e => e.Input).OfType<DocumentInput>().ToList();
        var items = docs.SelectMany(d => d.Items ?? []).Where(i => i is not null).ToList();
        return new ReferenceQuery(
            Distinct(docs.Select(d => d.Source).Concat(items.Select(i => i.Speaker))),
            Distinct(items.Select(i => i.Topic)),
            Distinct(docs.SelectMany(d => (d.Cites ?? []).Append(d.Id))),
            Distinct(items.SelectMany(i => (i.Rebuts ?? []).Append(i.Id))));
    }

    public int Count => (Sources?.Count ?? 0) + (Topics?.Count ?? 0) + (Documents?.Count ?? 0) + (Items?.Count ?? 0);

    private static string[] Distinct(IEnumerable<string?> ids) => ids.OfType<string>().Distinct(StringComparer.Ordinal).ToArray();
}

/// <summary>
/// The wire form of <see cref="KnownReferences"/> (<c>POST /api/references</c>): what the store holds of the ids asked
/// about, as validation sees it.
/// </summary>
public sealed record HeldReferences(
    IReadOnlyDictionary<string, string> Sources,
    IReadOnlyDictionary<string, HeldTopic> Topics,
    IReadOnlyDictionary<string, HeldDocument> Documents,
    IReadOnlyDictionary<string, KnownItem> Items)
{
    public static async Task<HeldReferences> LoadAsync(NpgsqlDataSource db, ReferenceQuery query, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(db);
        ArgumentNullException.ThrowIfNull(query);
        await using var conn = await db.OpenConnectionAsync(ct);
        await using var tx = await conn.BeginTransactionAsync(System.Data.IsolationLevel.RepeatableRead, ct);
        var known = await Catalog.Catalog.LoadAsync(conn, tx, query.Sources ?? [], query.Topics ?? [], query.Documents ?? [], query.Items ?? [], ct);
        return From(known);
    }

    public static HeldReferences From(KnownReferences known)
    {
        ArgumentNullException.ThrowIfNull(known);
        return new HeldReferences(known.Sources,
            known.Topics.ToDictionary(t => t.Key, t => new HeldTopic([.. t.Value.Hypotheses.Order(StringComparer.Ordinal)], t.Value.PeriodStart, t.Value.PeriodEnd)),
            known.Documents.ToDictionary(d => d.Key, d => new HeldDocument(d.Value.PublishedAt,
                [.. d.Value.Claims.Order(StringComparer.Ordinal)], [.. d.Value.ItemIds.Order(StringComparer.Ordinal)])),
            known.Items);
    }

    public KnownReferences ToKnown() => new(
        Sources.ToImmutableDictionary(StringComparer.Ordinal),
        Topics.ToImmutableDictionary(t => t.Key, t => new KnownTopic(t.Value.Hypotheses.ToImmutableHashSet(StringComparer.Ordinal), t.Value.PeriodStart, t.Value.PeriodEnd),
            StringComparer.Ordinal),
        Documents.ToImmutableDictionary(d => d.Key, d => new KnownDocument(d.Value.PublishedAt,
            d.Value.Claims.ToImmutableHashSet(StringComparer.Ordinal), d.Value.ItemIds.ToImmutableHashSet(StringComparer.Ordinal)), StringComparer.Ordinal),
        Items.ToImmutableDictionary(StringComparer.Ordinal));
}

public sealed record HeldTopic(IReadOnlyList<string> Hypotheses, DateOnly PeriodStart, DateOnly PeriodEnd);

public sealed record HeldDocument(DateOnly PublishedAt, IReadOnlyList<string> Claims, IReadOnlyList<string> ItemIds);
