using System.Collections.Immutable;
using Narrative.Domain;
using Narrative.Domain.Corpus;
using Npgsql;

namespace Narrative.Analysis.Catalog;

/// <summary>
/// What validation needs to know, kept inline with the append (same transaction), so references resolve
/// against exactly what the log holds. Only the rows a request names are loaded.
/// </summary>
public static class Catalog
{
    public static async Task<KnownReferences> LoadAsync(NpgsqlConnection conn, NpgsqlTransaction tx, IEnumerable<string> sources,
        IEnumerable<string> topics, IEnumerable<string> documents, IEnumerable<string> items, CancellationToken ct)
    {
        var src = ImmutableDictionary.CreateBuilder<string, string>(StringComparer.Ordinal);
        var top = ImmutableDictionary.CreateBuilder<string, KnownTopic>(StringComparer.Ordinal);
        var docs = ImmutableDictionary.CreateBuilder<string, KnownDocument>(StringComparer.Ordinal);
        var its = ImmutableDictionary.CreateBuilder<string, KnownItem>(StringComparer.Ordinal);
        await using var batch = new NpgsqlBatch(conn, tx)
        {
            BatchCommands =
            {
                Cmd("select source_id, reliability from catalog.sources where source_id = any($1)", sources),
                Cmd("select topic_id, hypotheses, period_start, period_end from catalog.topics where topic_id = any($1)", topics),
                Cmd("select document_id, published_at, claims, item_ids from catalog.documents where document_id = any($1)", documents),
                Cmd("select item_id, document_id, topic, retracted from catalog.items where item_id = any($1)", items),
            },
        };
        await using var r = await batch.ExecuteReaderAsync(ct);
        while (await r.ReadAsync(ct)) src[r.GetString(0)] = r.GetString(1);
        await r.NextResultAsync(ct);
        while (await r.ReadAsync(ct))
            top[r.GetString(0)] = new KnownTopic(r.GetFieldValue<string[]>(1).ToImmutableHashSet(StringComparer.Ordinal),
                r.GetFieldValue<DateOnly>(2), r.GetFieldValue<DateOnly>(3));
        await r.NextResultAsync(ct);
        while (await r.ReadAsync(ct))
            docs[r.GetString(0)] = new KnownDocument(r.GetFieldValue<DateOnly>(1),
                r.GetFieldValue<string[]>(2).ToImmutableHashSet(StringComparer.Ordinal), r.GetFieldValue<string[]>(3).ToImmutableHashSet(StringComparer.Ordinal));
        await r.NextResultAsync(ct);
        while (await r.ReadAsync(ct)) its[r.GetString(0)] = new KnownItem(r.GetString(1), r.GetString(2), r.GetBoolean(3));
        return new KnownReferences(src.ToImmutable(), top.ToImmutable(), docs.ToImmutable(), its.ToImmutable());
    }

    /// <summary>The content hash and log position the catalog holds for an id, or null.</summary>
    public static async Task<(string Hash, long Position)?> FindAsync(NpgsqlConnection conn, NpgsqlTransaction? tx, CatalogKind kind, string id, CancellationToken ct)
    {
        var (table, key) = Table(kind);
        await using var cmd = new NpgsqlCommand($"select content_hash, position from catalog.{table} where {key} = $1", conn, tx);
        cmd.Parameters.Add(new() { Value = id });
        await using var r = await cmd.ExecuteReaderAsync(ct);
        return await r.ReadAsync(ct) ? (r.GetString(0), r.GetInt64(1)) : null;
    }

    /// <summary>Applies freshly appended events to the catalog, inside the append's transaction.</summary>
    public static async Task ApplyAsync(NpgsqlConnection conn, NpgsqlTransaction tx, object e, string contentHash, long position, CancellationToken ct)
    {
        NpgsqlCommand cmd = e switch
        {
            SourceRegistered s => new("insert into catalog.sources values ($1, $2, $3, $4)", conn, tx)
                { Parameters = { new() { Value = s.SourceId }, new() { Value = s.Reliability }, new() { Value = contentHash }, new() { Value = position } } },
            TopicOpened t => new("insert into catalog.topics values ($1, $2, $3, $4, $5, $6)", conn, tx)
            {
                Parameters =
                {
                    new() { Value = t.TopicId }, new() { Value = t.Hypotheses.Select(h => h.Id).ToArray() }, new() { Value = t.PeriodStart },
                    new() { Value = t.PeriodEnd }, new() { Value = contentHash }, new() { Value = position },
                },
            },
            ContextPeriodRecorded c => new("insert into catalog.context_periods values ($1, $2, $3)", conn, tx)
                { Parameters = { new() { Value = c.PeriodId }, new() { Value = contentHash }, new() { Value = position } } },
            IngestedDocument d => new("""
                with doc as (insert into catalog.documents (document_id, published_at, claims, item_ids, content_hash, position, capture_id)
                    values ($1, $2, $3, $4, $5, $6, $10))
                insert into catalog.items (item_id, document_id, topic) select * from unnest($7::text[], $8::text[], $9::text[])
                """, conn, tx)
            {
                Parameters =
                {
                    new() { Value = d.Document.DocumentId }, new() { Value = d.Document.PublishedAt },
                    new() { Value = d.Items.Select(i => i.Claim).Distinct().ToArray() }, new() { Value = d.Items.Select(i => i.ItemId).ToArray() },
                    new() { Value = contentHash }, new() { Value = position },
                    new() { Value = d.Items.Select(i => i.ItemId).ToArray() }, new() { Value = d.Items.Select(i => i.DocumentId).ToArray() },
                    new() { Value = d.Items.Select(i => i.Topic).ToArray() },
                    new() { Value = (object?)d.Document.CaptureId ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text },
                },
            },
            ItemRetracted x => new("update catalog.items set retracted = true where item_id = $1", conn, tx) { Parameters = { new() { Value = x.ItemId } } },
            SourceRegraded g => new("update catalog.sources set reliability = $2 where source_id = $1", conn, tx)
                { Parameters = { new() { Value = g.SourceId }, new() { Value = g.Reliability } } },
            HypothesesRevised h => new("update catalog.topics set hypotheses = array(select x from unnest(hypotheses) x where x <> all($2)) || $3 where topic_id = $1", conn, tx)
            {
                Parameters =
                {
                    new() { Value = h.TopicId }, new() { Value = h.Retired.Concat(h.Splits.Select(s => s.From)).ToArray() },
                    new() { Value = h.Added.Select(a => a.Id).ToArray() },
                },
            },
            _ => throw new ArgumentException($"The catalog does not track {e.GetType().Name}"),
        };
        await using (cmd) await cmd.ExecuteNonQueryAsync(ct);
    }

    private static NpgsqlBatchCommand Cmd(string sql, IEnumerable<string> ids) =>
        new(sql) { Parameters = { new() { Value = ids.Distinct().ToArray() } } };

    private static (string Table, string Key) Table(CatalogKind kind) => kind switch
    {
        CatalogKind.Source => ("sources", "source_id"),
        CatalogKind.Topic => ("topics", "topic_id"),
        CatalogKind.ContextPeriod => ("context_periods", "period_id"),
        _ => ("documents", "document_id"),
    };
}

public enum CatalogKind { Source, Topic, ContextPeriod, Document }
