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

    /// <summary>Bumped whenever the tables change shape; a live model of another version is rebuilt at start-up.</summary>
    public string Version => "analysis-v2";

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
            create table {s}.rebuttals (target text not null, item_id text not null, primary key (target, item_id));
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
                    foreach (var target in i.Rebuts.Distinct()) writer.Rebuttals.Add([target, i.ItemId]);
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

    /// <summary>
    /// Buffers rows and writes each table with one binary COPY per batch: the fastest way into PostgreSQL, which is what
    /// makes rebuilds quick. An item already held (a repeated ItemRecorded) is skipped, as the pure replay skips it.
    /// </summary>
    private sealed class Writer(NpgsqlConnection conn, NpgsqlTransaction tx, string schema)
    {
        public List<object?[]> Sources { get; } = [];
        public List<object?[]> Topics { get; } = [];
        public List<object?[]> Periods { get; } = [];
        public List<object?[]> Documents { get; } = [];
        public List<object?[]> Items { get; } = [];
        public List<object?[]> Versions { get; } = [];
        public List<object?[]> Rebuttals { get; } = [];

        private static readonly NpgsqlDbType[] SourceTypes = [NpgsqlDbType.Text, NpgsqlDbType.Bigint, NpgsqlDbType.TimestampTz, NpgsqlDbType.Text, NpgsqlDbType.Text, NpgsqlDbType.Text, NpgsqlDbType.Text];
        private static readonly NpgsqlDbType[] TopicTypes = [NpgsqlDbType.Text, NpgsqlDbType.Bigint, NpgsqlDbType.TimestampTz, NpgsqlDbType.Text, NpgsqlDbType.Date, NpgsqlDbType.Date, NpgsqlDbType.Jsonb];
        private static readonly NpgsqlDbType[] PeriodTypes = [NpgsqlDbType.Text, NpgsqlDbType.Bigint, NpgsqlDbType.TimestampTz, NpgsqlDbType.Text, NpgsqlDbType.Text, NpgsqlDbType.Date, NpgsqlDbType.Date, NpgsqlDbType.Date];
        private static readonly NpgsqlDbType[] DocumentTypes = [NpgsqlDbType.Text, NpgsqlDbType.Bigint, NpgsqlDbType.TimestampTz, NpgsqlDbType.Text, NpgsqlDbType.Date, NpgsqlDbType.Text, NpgsqlDbType.Text,
            NpgsqlDbType.Array | NpgsqlDbType.Text, NpgsqlDbType.Array | NpgsqlDbType.Text, NpgsqlDbType.Array | NpgsqlDbType.Text, NpgsqlDbType.Text];
        private static readonly NpgsqlDbType[] ItemTypes = [NpgsqlDbType.Text, NpgsqlDbType.Text, NpgsqlDbType.Text, NpgsqlDbType.Text, NpgsqlDbType.Text, NpgsqlDbType.Text, NpgsqlDbType.Date,
            NpgsqlDbType.Bigint, NpgsqlDbType.TimestampTz, NpgsqlDbType.Text, NpgsqlDbType.Text, NpgsqlDbType.Text, NpgsqlDbType.Date, NpgsqlDbType.Array | NpgsqlDbType.Text, NpgsqlDbType.Text];
        private static readonly NpgsqlDbType[] VersionTypes = [NpgsqlDbType.Text, NpgsqlDbType.Bigint, NpgsqlDbType.TimestampTz, NpgsqlDbType.Jsonb, NpgsqlDbType.Integer];
        private static readonly NpgsqlDbType[] RebuttalTypes = [NpgsqlDbType.Text, NpgsqlDbType.Text];

        public async Task FlushAsync(CancellationToken ct)
        {
            await SkipHeldItemsAsync(ct);
            await Copy("sources (source_id, position, recorded_at, name, kind, reliability, rationale)", SourceTypes, Sources, ct);
            await Copy("topics (topic_id, position, recorded_at, title, period_start, period_end, hypotheses)", TopicTypes, Topics, ct);
            await Copy("context_periods (period_id, position, recorded_at, label, category, start_date, end_date, decision_at)", PeriodTypes, Periods, ct);
            await Copy("documents (document_id, position, recorded_at, source, published_at, title, url, authors, cites, item_ids, content_hash)", DocumentTypes, Documents, ct);
            await Copy("items (item_id, document_id, source, topic, type, claim, published_at, position, recorded_at, summary, quote, attributed_to, occurred_at, rebuts, note)",
                ItemTypes, Items, ct);
            await Copy("item_versions (item_id, from_position, from_recorded_at, ratings, credibility)", VersionTypes, Versions, ct);
            await Copy("rebuttals (target, item_id)", RebuttalTypes, Rebuttals, ct);
        }

        private async Task SkipHeldItemsAsync(CancellationToken ct)
        {
            if (Items.Count == 0) return;
            var held = new HashSet<string>(StringComparer.Ordinal);
            await using (var cmd = new NpgsqlCommand($"select item_id from {schema}.items where item_id = any($1)", conn, tx))
            {
                cmd.Parameters.Add(new() { Value = Items.Select(r => (string)r[0]!).ToArray() });
                await using var r = await cmd.ExecuteReaderAsync(ct);
                while (await r.ReadAsync(ct)) held.Add(r.GetString(0));
            }
            var keep = new HashSet<(string, long)>();
            foreach (var row in Items)
                if (held.Add((string)row[0]!)) keep.Add(((string)row[0]!, (long)row[7]!));
            if (keep.Count == Items.Count) return;
            Items.RemoveAll(row => !keep.Contains(((string)row[0]!, (long)row[7]!)));
            Versions.RemoveAll(row => !keep.Contains(((string)row[0]!, (long)row[1]!)));
            var kept = Items.Select(i => (string)i[0]!).ToHashSet(StringComparer.Ordinal);
            Rebuttals.RemoveAll(row => !kept.Contains((string)row[1]!));
        }

        private async Task Copy(string table, NpgsqlDbType[] types, List<object?[]> rows, CancellationToken ct)
        {
            if (rows.Count == 0) return;
            await using (var copy = await conn.BeginBinaryImportAsync($"copy {schema}.{table} from stdin (format binary)", ct))
            {
                foreach (var row in rows)
                {
                    await copy.StartRowAsync(ct);
                    for (var c = 0; c < types.Length; c++)
                    {
                        var value = row[c] is DateTimeOffset d ? d.UtcDateTime : row[c];
                        if (value is null) await copy.WriteNullAsync(ct);
                        else await copy.WriteAsync(value, types[c], ct);
                    }
                }
                await copy.CompleteAsync(ct);
            }
            rows.Clear();
        }
    }
}
