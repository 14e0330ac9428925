using System.Text.Json;
using Narrative.Domain;
using Narrative.EventStore;
using Narrative.EventStore.Subscriptions;
using Npgsql;
using NpgsqlTypes;

namespace Narrative.Analysis.ReadModel;

/// <summary>
/// The bitemporal read model behind every analysis query. World time is in the rows (published_at, period dates);
/// system time is the validity of each row: recorded_at/position of the event that created it and, for item
/// versions, the event that closed it (a re-rating or a retraction). Rows are only ever inserted or closed.
/// Rebuildable: <see cref="ProjectionRebuilder"/> replays the log into a fresh schema and swaps it in.
/// </summary>
public sealed class AnalysisProjection : IRebuildableProjection
{
    public const string ProjectionName = "analysis";
    public const string LiveSchema = "rm_analysis";

    public string Name => ProjectionName;
    public string Kind => "projection";
    public string Schema => LiveSchema;

    public async Task CreateTablesAsync(NpgsqlConnection conn, NpgsqlTransaction tx, string schema, CancellationToken ct)
    {
        var s = schema;
        await using var cmd = new NpgsqlCommand($"""
            create table {s}.sources (source_id text not null, position bigint not null, recorded_at timestamptz not null,
                name text not null, kind text not null, reliability text not null, rationale text, primary key (source_id, position));
            create table {s}.topics (topic_id text not null, position bigint not null, recorded_at timestamptz not null,
                title text not null, period_start date not null, period_end date not null, hypotheses jsonb not null, primary key (topic_id, position));
            create table {s}.context_periods (period_id text not null, position bigint not null, recorded_at timestamptz not null,
                label text not null, category text not null, start_date date not null, end_date date not null, decision_at date,
                primary key (period_id, position));
            create table {s}.documents (document_id text not null, position bigint not null, recorded_at timestamptz not null,
                source text not null, published_at date not null, title text not null, url text, authors text[] not null,
                cites text[] not null, item_ids text[] not null, content_hash text not null, primary key (document_id, position));
            create table {s}.items (item_id text primary key, document_id text not null, source text not null, topic text not null,
                type text not null, claim text not null, published_at date not null, position bigint not null,
                recorded_at timestamptz not null, summary text not null, quote text, attributed_to text, occurred_at date,
                rebuts text[] not null, note text, retracted_position bigint, retracted_at timestamptz, retraction_reason text);
            create index on {s}.items (topic, published_at, recorded_at);
            create index on {s}.items (claim);
            create table {s}.item_versions (item_id text not null, from_position bigint not null, from_recorded_at timestamptz not null,
                to_position bigint, to_recorded_at timestamptz, ratings jsonb not null, credibility integer not null, reason text,
                primary key (item_id, from_position));
            """, conn, tx);
        await cmd.ExecuteNonQueryAsync(ct);
    }

    public async Task HandleAsync(SubscriptionBatch batch, CancellationToken ct)
    {
        var writer = new Writer(batch.Connection, batch.Transaction, batch.Schema);
        foreach (var e in batch.Events)
        {
            switch (batch.Store.Types.Deserialize(e))
            {
                case SourceRegistered s:
                    writer.Sources.Add([s.SourceId, e.Position, e.RecordedAt, s.Name, s.Kind, s.Reliability, s.Rationale]);
                    break;
                case TopicOpened t:
                    writer.Topics.Add([t.TopicId, e.Position, e.RecordedAt, t.Title, t.PeriodStart, t.PeriodEnd,
                        JsonSerializer.Serialize(t.Hypotheses, NarrativeEvents.Json)]);
                    break;
                case ContextPeriodRecorded c:
                    writer.Periods.Add([c.PeriodId, e.Position, e.RecordedAt, c.Label, c.Category, c.Start, c.End, c.DecisionAt]);
                    break;
                case DocumentIngested d:
                    writer.Documents.Add([d.DocumentId, e.Position, e.RecordedAt, d.Source, d.PublishedAt, d.Title, d.Url,
                        d.Authors.ToArray(), d.Cites.ToArray(), d.ItemIds.ToArray(), d.ContentHash]);
                    break;
                case ItemRecorded i:
                    writer.Items.Add([i.ItemId, i.DocumentId, i.Source, i.Topic, i.Type, i.Claim, i.PublishedAt, e.Position, e.RecordedAt,
                        i.Summary, i.Quote, i.AttributedTo, i.OccurredAt, i.Rebuts.ToArray(), i.Note]);
                    writer.Versions.Add([i.ItemId, e.Position, e.RecordedAt, Ratings(i.Ratings), i.Credibility]);
                    break;
                case ItemRerated r:
                    await writer.FlushAsync(ct);
                    await RerateAsync(batch, r, e, ct);
                    break;
                case ItemRetracted x:
                    await writer.FlushAsync(ct);
                    await RetractAsync(batch, x, e, ct);
                    break;
            }
        }
        await writer.FlushAsync(ct);
    }

    private static async Task RerateAsync(SubscriptionBatch b, ItemRerated r, StoredEvent e, CancellationToken ct)
    {
        // Ratings named in a re-rating overlay the current ones; an omitted credibility keeps the current one.
        await using var cmd = new NpgsqlCommand($"""
            with cur as (
                update {b.Schema}.item_versions v set to_position = $2, to_recorded_at = $3
                where v.item_id = $1 and v.to_position is null
                  and not exists (select 1 from {b.Schema}.items i where i.item_id = $1 and i.retracted_position is not null)
                returning v.ratings, v.credibility)
            insert into {b.Schema}.item_versions (item_id, from_position, from_recorded_at, ratings, credibility, reason)
            select $1, $2, $3, cur.ratings || $4::jsonb, coalesce($5, cur.credibility), $6 from cur
            """, b.Connection, b.Transaction);
        cmd.Parameters.Add(new() { Value = r.ItemId });
        cmd.Parameters.Add(new() { Value = e.Position });
        cmd.Parameters.Add(new() { Value = e.RecordedAt });
        cmd.Parameters.Add(new() { Value = Ratings(r.Ratings ?? new Dictionary<string, string>()), NpgsqlDbType = NpgsqlDbType.Jsonb });
        cmd.Parameters.Add(new() { Value = (object?)r.Credibility ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Integer });
        cmd.Parameters.Add(new() { Value = r.Reason });
        await cmd.ExecuteNonQueryAsync(ct);
    }

    private static async Task RetractAsync(SubscriptionBatch b, ItemRetracted x, StoredEvent e, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand($"""
            with it as (
                update {b.Schema}.items set retracted_position = $2, retracted_at = $3, retraction_reason = $4
                where item_id = $1 and retracted_position is null returning item_id)
            update {b.Schema}.item_versions v set to_position = $2, to_recorded_at = $3
            from it where v.item_id = it.item_id and v.to_position is null
            """, b.Connection, b.Transaction);
        cmd.Parameters.Add(new() { Value = x.ItemId });
        cmd.Parameters.Add(new() { Value = e.Position });
        cmd.Parameters.Add(new() { Value = e.RecordedAt });
        cmd.Parameters.Add(new() { Value = x.Reason });
        await cmd.ExecuteNonQueryAsync(ct);
    }

    private static string Ratings(IReadOnlyDictionary<string, string> ratings) => JsonSerializer.Serialize(ratings, NarrativeEvents.Json);

    /// <summary>Buffers inserts and writes each table with one multi-row statement per batch.</summary>
    private sealed class Writer(NpgsqlConnection conn, NpgsqlTransaction tx, string schema)
    {
        public List<object?[]> Sources { get; } = [];
        public List<object?[]> Topics { get; } = [];
        public List<object?[]> Periods { get; } = [];
        public List<object?[]> Documents { get; } = [];
        public List<object?[]> Items { get; } = [];
        public List<object?[]> Versions { get; } = [];

        public async Task FlushAsync(CancellationToken ct)
        {
            await Insert("sources", "text,bigint,timestamptz,text,text,text,text", Sources, "", ct);
            await Insert("topics", "text,bigint,timestamptz,text,date,date,jsonb", Topics, "", ct);
            await Insert("context_periods", "text,bigint,timestamptz,text,text,date,date,date", Periods, "", ct);
            await Insert("documents", "text,bigint,timestamptz,text,date,text,text,text[],text[],text[],text", Documents, "", ct);
            // A repeated ItemRecorded for a held item changes nothing (as in the pure replay).
            await Insert("items (item_id, document_id, source, topic, type, claim, published_at, position, recorded_at, summary, quote, attributed_to, occurred_at, rebuts, note)",
                "text,text,text,text,text,text,date,bigint,timestamptz,text,text,text,date,text[],text", Items, " on conflict (item_id) do nothing", ct);
            await Insert("item_versions (item_id, from_position, from_recorded_at, ratings, credibility)", "text,bigint,timestamptz,jsonb,integer", Versions,
                " on conflict do nothing", ct);
        }

        private async Task Insert(string table, string types, List<object?[]> rows, string suffix, CancellationToken ct)
        {
            // PostgreSQL takes at most 65,535 parameters per statement.
            const int chunk = 2000;
            for (var i = 0; i < rows.Count; i += chunk)
                await InsertChunk(table, types, rows.GetRange(i, Math.Min(chunk, rows.Count - i)), suffix, ct);
            rows.Clear();
        }

        private async Task InsertChunk(string table, string types, List<object?[]> rows, string suffix, CancellationToken ct)
        {
            var cols = types.Split(',');
            // One statement of N rows: values ($1,$2,...),(...) with typed parameters.
            var sql = new System.Text.StringBuilder($"insert into {schema}.{table} values ");
            await using var cmd = new NpgsqlCommand { Connection = conn, Transaction = tx };
            for (var r = 0; r < rows.Count; r++)
            {
                sql.Append(r == 0 ? "(" : ",(");
                for (var c = 0; c < cols.Length; c++)
                {
                    cmd.Parameters.Add(new NpgsqlParameter { Value = rows[r][c] ?? DBNull.Value, DataTypeName = cols[c] });
                    sql.Append(c == 0 ? "" : ",").Append('$').Append(cmd.Parameters.Count);
                }
                sql.Append(')');
            }
            cmd.CommandText = sql.Append(suffix).ToString();
            await cmd.ExecuteNonQueryAsync(ct);
        }
    }
}
