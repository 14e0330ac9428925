using System.Text.Json;
using Narrative.Domain;
using Narrative.Storage;
using JasperFx.Events;
using Marten;
using Marten.Events.Projections;
using Narrative.Storage.Rebuilds;
using Npgsql;
using NpgsqlTypes;

namespace Narrative.Analysis.ReadModel;

/// <summary>
/// The bitemporal read model behind every analysis query. World time is in the rows (published_at, period dates);
/// system time is the validity of each row: recorded_at/position of the event that created it and, for item
/// versions, the event that closed it (a re-rating or a retraction). Rows are only ever inserted or closed.
/// An item's first version (its ratings as recorded) lives in its items row, valid until the first re-rating;
/// item_versions holds only re-ratings, so the common case (never re-rated) is one row per item.
/// topic_links lists, per topic, the items of other topics that an answer about it needs: those sharing a claim with
/// one of its items (provenance) and those rebutting one (contested flags), so a query reads them by key.
/// It runs in Marten's async daemon: each page of events is written inside the daemon's batch transaction (through an
/// <see cref="ITransactionParticipant"/>), so the rows and Marten's progression commit together. Marten's rebuild works
/// (its teardown empties the tables); <see cref="BulkRebuilder"/> is the fast path, loading a fresh schema and swapping it in.
/// </summary>
public sealed partial class AnalysisProjection : IProjection, IBulkRebuildable
{
    public const string ProjectionName = "analysis";
    public const string LiveSchema = "rm_analysis";

    public string Name => ProjectionName;

    /// <summary>The read model's tables, emptied by Marten's teardown when Marten itself rebuilds the projection.</summary>
    public static IReadOnlyList<string> Tables { get; } =
        ["sources", "topics", "context_periods", "documents", "items", "rebuttals", "topic_links", "item_versions", "signposts", "analyst_ratings"];
    public string Schema => LiveSchema;

    /// <summary>Bumped whenever the tables change shape; a live model of another version is rebuilt at start-up.</summary>
    public string Version => "analysis-v6";

    public async Task CreateTablesAsync(NpgsqlConnection conn, NpgsqlTransaction tx, string schema, CancellationToken ct)
    {
        var s = schema;
        await using var cmd = new NpgsqlCommand($"""
            create table {s}.sources (source_id text not null, position bigint not null, recorded_at timestamptz not null,
                name text not null, kind text not null, reliability text not null, rationale text);
            create table {s}.topics (topic_id text not null, position bigint not null, recorded_at timestamptz not null,
                title text not null, period_start date not null, period_end date not null, hypotheses jsonb not null, revision jsonb);
            create table {s}.context_periods (period_id text not null, position bigint not null, recorded_at timestamptz not null,
                label text not null, category text not null, start_date date not null, end_date date not null, decision_at date);
            create table {s}.documents (document_id text not null, position bigint not null, recorded_at timestamptz not null,
                source text not null, published_at date not null, title text not null, url text, authors text[] not null,
                cites text[] not null, item_ids text[] not null, content_hash text not null);
            create table {s}.items (item_id text not null, document_id text not null, source text not null, topic text not null,
                type text not null, claim text not null, published_at date not null, position bigint not null,
                recorded_at timestamptz not null, summary text not null, quote text, attributed_to text, occurred_at date,
                rebuts text[] not null, note text, ratings jsonb not null, credibility integer not null,
                retracted_position bigint, retracted_at timestamptz, retraction_reason text, speaker text);
            create table {s}.rebuttals (target text not null, item_id text not null);
            -- Statistics only for the columns queries filter or join on: gathering them for text, arrays and json
            -- that no predicate reads is most of what analyze costs after a rebuild.
            alter table {s}.items alter column document_id set statistics 0, alter column source set statistics 0,
                alter column type set statistics 0, alter column summary set statistics 0, alter column quote set statistics 0,
                alter column attributed_to set statistics 0, alter column occurred_at set statistics 0, alter column rebuts set statistics 0,
                alter column note set statistics 0, alter column ratings set statistics 0, alter column credibility set statistics 0,
                alter column retracted_at set statistics 0, alter column retraction_reason set statistics 0;
            alter table {s}.documents alter column title set statistics 0, alter column url set statistics 0,
                alter column authors set statistics 0, alter column cites set statistics 0, alter column item_ids set statistics 0,
                alter column content_hash set statistics 0;
            create table {s}.topic_links (topic text not null, item_id text not null);
            create table {s}.item_versions (item_id text not null, from_position bigint not null, from_recorded_at timestamptz not null,
                to_position bigint, to_recorded_at timestamptz, ratings jsonb not null, credibility integer not null, reason text);
            -- Signposts and their matches and expiries (kind: set, matched, expired), one row per event.
            create table {s}.signposts (topic text not null, signpost_id text not null, position bigint not null,
                recorded_at timestamptz not null, kind text not null, data jsonb not null);
            -- Analysts' ratings, insert-only: the one in force for (analyst, claim) at knownAt is the latest recorded by then.
            create table {s}.analyst_ratings (analyst_id text not null, topic text not null, claim text not null, position bigint not null,
                recorded_at timestamptz not null, ratings jsonb not null, credibility integer, note text);
            """, conn, tx);
        await cmd.ExecuteNonQueryAsync(ct);
    }

    public IReadOnlyList<string> IndexStatements(string schema) =>
    [
        // The big ones first, so that the parallel builds of a rebuild finish together. Keys are unique indexes, not
        // primary-key constraints: ALTER TABLE would lock the table and make the other builds on it wait.
        $"create unique index items_pkey on {schema}.items (item_id)",
        $"create unique index item_versions_pkey on {schema}.item_versions (item_id, from_position)",
        $"create index on {schema}.items (topic, published_at, recorded_at)",
        $"create index on {schema}.items (claim)",
        $"create unique index rebuttals_pkey on {schema}.rebuttals (target, item_id)",
        $"create unique index topic_links_pkey on {schema}.topic_links (topic, item_id)",
        $"create unique index documents_pkey on {schema}.documents (document_id, position)",
        $"create unique index sources_pkey on {schema}.sources (source_id, position)",
        $"create unique index topics_pkey on {schema}.topics (topic_id, position)",
        $"create unique index context_periods_pkey on {schema}.context_periods (period_id, position)",
        $"create unique index signposts_pkey on {schema}.signposts (topic, position)",
        $"create unique index analyst_ratings_pkey on {schema}.analyst_ratings (topic, recorded_at, position)",
        $"create index on {schema}.analyst_ratings (claim)",
    ];

    /// <summary>Marten's daemon hands over a page of events; the rows are written in its transaction, just before it commits.</summary>
    public Task ApplyAsync(IDocumentOperations operations, IReadOnlyList<IEvent> events, CancellationToken cancellation)
    {
        ((ITransactionParticipantRegistrar)operations).AddTransactionParticipant(new Page(this, events));
        return Task.CompletedTask;
    }

    private sealed class Page(AnalysisProjection projection, IReadOnlyList<IEvent> events) : ITransactionParticipant
    {
        public Task BeforeCommitAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, CancellationToken token) =>
            projection.ApplyAsync(connection, transaction, LiveSchema, events, token);
    }

    public async Task ApplyAsync(NpgsqlConnection conn, NpgsqlTransaction tx, string schema, IReadOnlyList<IEvent> events, CancellationToken ct)
    {
        var writer = new Writer();
        foreach (var e in events)
        {
            switch (e.Data)
            {
                case ItemRerated r:
                    await writer.FlushAsync(conn, tx, schema, incremental: true, ct);
                    await RerateAsync(conn, tx, schema, r, e.Sequence, e.Timestamp, ct);
                    break;
                case ItemRetracted x:
                    await writer.FlushAsync(conn, tx, schema, incremental: true, ct);
                    await RetractAsync(conn, tx, schema, x, e.Sequence, e.Timestamp, ct);
                    break;
                case SourceRegraded g:
                    await writer.FlushAsync(conn, tx, schema, incremental: true, ct);
                    await RegradeAsync(conn, tx, schema, g, e.Sequence, e.Timestamp, ct);
                    break;
                case HypothesesRevised h:
                    await writer.FlushAsync(conn, tx, schema, incremental: true, ct);
                    await ReviseAsync(conn, tx, schema, h, e.Sequence, e.Timestamp, ct);
                    break;
                case var data:
                    writer.Add(data, e.Sequence, e.Timestamp);
                    break;
            }
        }
        await writer.FlushAsync(conn, tx, schema, incremental: true, ct);
    }

    public IRebuildLoader CreateRebuildLoader() => new Loader(RebuildFingerprintBits);

    /// <summary>
    /// How many bits of each item id and claim the rebuild loader keeps in memory (see <see cref="FingerprintSet"/>).
    /// Only tests lower it, so that ids share fingerprints and the checks that follow a shared one get exercised.
    /// </summary>
    internal int RebuildFingerprintBits { get; init; } = FingerprintSet.MaxFingerprintBits;

    /// <summary>
    /// Writes topic_links for <paramref name="items"/> and for every item of <paramref name="claims"/> (both directions
    /// of a claim shared across topics), and for the rebuttal pairs whose rebuttal and target are in different topics.
    /// </summary>
    /// <remarks>
    /// The other items of each claim are looked up through a lateral join, one index probe per claim. A plain join let
    /// the planner pick a merge join that walks the whole claim index for a handful of new items, and without its
    /// <c>offset 0</c> the planner flattens the lateral subquery into that same join (a hash join over a sequential scan
    /// of every item): either made each daemon batch cost 50–230 ms on a 100,000-item read model.
    /// </remarks>
    private static async Task LinkAsync(NpgsqlConnection conn, NpgsqlTransaction tx, string schema, string[] items, string[] claims,
        string[] targets, string[] rebutters, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand($"""
            with n as (select item_id, topic, claim from {schema}.items where item_id = any($1) or claim = any($2)),
            shared as (
                select n.topic as n_topic, n.item_id as n_item, o.topic as o_topic, o.item_id as o_item
                from n cross join lateral (select x.topic, x.item_id from {schema}.items x where x.claim = n.claim and x.topic <> n.topic offset 0) o)
            insert into {schema}.topic_links (topic, item_id)
            select o_topic, n_item from shared
            union
            select n_topic, o_item from shared
            union
            select t.topic, r.item_id from unnest($3::text[], $4::text[]) as r (target, item_id)
            join {schema}.items t on t.item_id = r.target
            join {schema}.items ri on ri.item_id = r.item_id
            where t.topic <> ri.topic
            on conflict do nothing
            """, conn, tx) { CommandTimeout = 0 };
        cmd.Parameters.Add(new() { Value = items });
        cmd.Parameters.Add(new() { Value = claims });
        cmd.Parameters.Add(new() { Value = targets });
        cmd.Parameters.Add(new() { Value = rebutters });
        await cmd.ExecuteNonQueryAsync(ct);
    }

    private static async Task RerateAsync(NpgsqlConnection conn, NpgsqlTransaction tx, string schema, ItemRerated r, long position, DateTimeOffset recordedAt, CancellationToken ct)
    {
        // The current version is the open re-rating row or, before any, the item's own ratings. Ratings named in a
        // re-rating overlay it; an omitted credibility keeps the current one. A retracted item is not re-rated.
        await using var cmd = new NpgsqlCommand($"""
            with cur as (
                select coalesce(v.ratings, i.ratings) as ratings, coalesce(v.credibility, i.credibility) as credibility
                from {schema}.items i left join {schema}.item_versions v on v.item_id = i.item_id and v.to_position is null
                where i.item_id = $1 and i.retracted_position is null),
            closed as (
                update {schema}.item_versions v set to_position = $2, to_recorded_at = $3
                where v.item_id = $1 and v.to_position is null and exists (select 1 from cur))
            insert into {schema}.item_versions (item_id, from_position, from_recorded_at, ratings, credibility, reason)
            select $1, $2, $3, cur.ratings || $4::jsonb, coalesce($5, cur.credibility), $6 from cur
            """, conn, tx);
        cmd.Parameters.Add(new() { Value = r.ItemId });
        cmd.Parameters.Add(new() { Value = position });
        cmd.Parameters.Add(new() { Value = recordedAt });
        cmd.Parameters.Add(new() { Value = Ratings(r.Ratings ?? new Dictionary<string, string>()), NpgsqlDbType = NpgsqlDbType.Jsonb });
        cmd.Parameters.Add(new() { Value = (object?)r.Credibility ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Integer });
        cmd.Parameters.Add(new() { Value = r.Reason });
        await cmd.ExecuteNonQueryAsync(ct);
    }

    private static async Task RetractAsync(NpgsqlConnection conn, NpgsqlTransaction tx, string schema, ItemRetracted x, long position, DateTimeOffset recordedAt, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand($"""
            with it as (
                update {schema}.items set retracted_position = $2, retracted_at = $3, retraction_reason = $4
                where item_id = $1 and retracted_position is null returning item_id)
            update {schema}.item_versions v set to_position = $2, to_recorded_at = $3
            from it where v.item_id = it.item_id and v.to_position is null
            """, conn, tx);
        cmd.Parameters.Add(new() { Value = x.ItemId });
        cmd.Parameters.Add(new() { Value = position });
        cmd.Parameters.Add(new() { Value = recordedAt });
        cmd.Parameters.Add(new() { Value = x.Reason });
        await cmd.ExecuteNonQueryAsync(ct);
    }

    /// <summary>A regrade: a new version row of the source (the latest before it) with the new grade; the reason is its rationale.</summary>
    private static async Task RegradeAsync(NpgsqlConnection conn, NpgsqlTransaction tx, string schema, SourceRegraded g, long position, DateTimeOffset recordedAt, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand($"""
            insert into {schema}.sources (source_id, position, recorded_at, name, kind, reliability, rationale)
            select source_id, $2, $3, name, kind, $4, $5 from {schema}.sources
            where source_id = $1 and position < $2 order by position desc limit 1
            """, conn, tx);
        cmd.Parameters.Add(new() { Value = g.SourceId });
        cmd.Parameters.Add(new() { Value = position });
        cmd.Parameters.Add(new() { Value = recordedAt });
        cmd.Parameters.Add(new() { Value = g.Reliability });
        cmd.Parameters.Add(new() { Value = g.Reason });
        await cmd.ExecuteNonQueryAsync(ct);
    }

    /// <summary>A revision: a new version row of the topic with the revised set (computed by the domain's rule) and the revision itself.</summary>
    private static async Task ReviseAsync(NpgsqlConnection conn, NpgsqlTransaction tx, string schema, HypothesesRevised h, long position, DateTimeOffset recordedAt, CancellationToken ct)
    {
        string? current = null;
        await using (var read = new NpgsqlCommand($"select hypotheses::text from {schema}.topics where topic_id = $1 and position < $2 order by position desc limit 1", conn, tx))
        {
            read.Parameters.Add(new() { Value = h.TopicId });
            read.Parameters.Add(new() { Value = position });
            current = await read.ExecuteScalarAsync(ct) as string;
        }
        if (current is null) return;
        var revised = Domain.Hypotheses.HypothesisRevision.Apply(JsonSerializer.Deserialize<List<Hypothesis>>(current, NarrativeEvents.Json)!, h);
        await using var cmd = new NpgsqlCommand($"""
            insert into {schema}.topics (topic_id, position, recorded_at, title, period_start, period_end, hypotheses, revision)
            select topic_id, $2, $3, title, period_start, period_end, $4, $5 from {schema}.topics
            where topic_id = $1 and position < $2 order by position desc limit 1
            """, conn, tx);
        cmd.Parameters.Add(new() { Value = h.TopicId });
        cmd.Parameters.Add(new() { Value = position });
        cmd.Parameters.Add(new() { Value = recordedAt });
        cmd.Parameters.Add(new() { Value = JsonSerializer.Serialize(revised, NarrativeEvents.Json), NpgsqlDbType = NpgsqlDbType.Jsonb });
        cmd.Parameters.Add(new() { Value = JsonSerializer.Serialize(h, NarrativeEvents.Json), NpgsqlDbType = NpgsqlDbType.Jsonb });
        await cmd.ExecuteNonQueryAsync(ct);
    }

    /// <summary>The items columns in the order both COPY paths write them.</summary>
    private const string ItemColumns =
        "item_id, document_id, source, topic, type, claim, published_at, position, recorded_at, summary, quote, attributed_to, occurred_at, rebuts, note, ratings, credibility, speaker";

    private static string Ratings(IReadOnlyDictionary<string, string> ratings) => JsonSerializer.Serialize(ratings, NarrativeEvents.Json);

    /// <summary>
    /// Buffers rows and writes each table with one binary COPY per batch: the fastest way into PostgreSQL, which is what
    /// makes rebuilds quick. Values are written with their exact types, so Npgsql need not inspect each one.
    /// </summary>
    private sealed class Writer
    {
        private readonly List<object?[]> _sources = [];
        private readonly List<object?[]> _topics = [];
        private readonly List<object?[]> _periods = [];
        private readonly List<object?[]> _documents = [];
        private readonly List<object?[]> _items = [];
        private readonly List<object?[]> _rebuttals = [];
        private readonly List<object?[]> _signposts = [];
        private readonly List<object?[]> _ratings = [];

        public void Add(object? data, long position, DateTimeOffset recordedAt)
        {
            switch (data)
            {
                case SourceRegistered s:
                    _sources.Add([s.SourceId, position, recordedAt, s.Name, s.Kind, s.Reliability, s.Rationale]);
                    break;
                case TopicOpened t:
                    _topics.Add([t.TopicId, position, recordedAt, t.Title, t.PeriodStart, t.PeriodEnd,
                        JsonSerializer.Serialize(t.Hypotheses, NarrativeEvents.Json)]);
                    break;
                case ContextPeriodRecorded c:
                    _periods.Add([c.PeriodId, position, recordedAt, c.Label, c.Category, c.Start, c.End, c.DecisionAt]);
                    break;
                case DocumentIngested d:
                    _documents.Add([d.DocumentId, position, recordedAt, d.Source, d.PublishedAt, d.Title, d.Url,
                        d.Authors.ToArray(), d.Cites.ToArray(), d.ItemIds.ToArray(), d.ContentHash]);
                    break;
                case ItemRecorded i:
                    _items.Add([i.ItemId, i.DocumentId, i.Source, i.Topic, i.Type, i.Claim, i.PublishedAt, position, recordedAt,
                        i.Summary, i.Quote, i.AttributedTo, i.OccurredAt, i.Rebuts.ToArray(), i.Note, Ratings(i.Ratings), i.Credibility, i.Speaker]);
                    foreach (var target in i.Rebuts.Distinct()) AddRebuttal(target, i.ItemId);
                    break;
                case SignpostSet p:
                    _signposts.Add([p.Topic, p.SignpostId, position, recordedAt, "set", JsonSerializer.Serialize(p, NarrativeEvents.Json)]);
                    break;
                case SignpostMatched m:
                    _signposts.Add([m.Topic, m.SignpostId, position, recordedAt, "matched", JsonSerializer.Serialize(m, NarrativeEvents.Json)]);
                    break;
                case SignpostExpired x:
                    _signposts.Add([x.Topic, x.SignpostId, position, recordedAt, "expired", JsonSerializer.Serialize(x, NarrativeEvents.Json)]);
                    break;
                case Narrative.Domain.Analysts.RatingRecorded r:
                    _ratings.Add([r.AnalystId, r.Topic, r.Claim, position, recordedAt, Ratings(r.Ratings), r.Credibility, r.Note]);
                    break;
            }
        }

        public void AddRebuttal(string target, string itemId) => _rebuttals.Add([target, itemId]);

        private static readonly NpgsqlDbType[] SourceTypes = [NpgsqlDbType.Text, NpgsqlDbType.Bigint, NpgsqlDbType.TimestampTz, NpgsqlDbType.Text, NpgsqlDbType.Text, NpgsqlDbType.Text, NpgsqlDbType.Text];
        private static readonly NpgsqlDbType[] TopicTypes = [NpgsqlDbType.Text, NpgsqlDbType.Bigint, NpgsqlDbType.TimestampTz, NpgsqlDbType.Text, NpgsqlDbType.Date, NpgsqlDbType.Date, NpgsqlDbType.Jsonb];
        private static readonly NpgsqlDbType[] PeriodTypes = [NpgsqlDbType.Text, NpgsqlDbType.Bigint, NpgsqlDbType.TimestampTz, NpgsqlDbType.Text, NpgsqlDbType.Text, NpgsqlDbType.Date, NpgsqlDbType.Date, NpgsqlDbType.Date];
        private static readonly NpgsqlDbType[] DocumentTypes = [NpgsqlDbType.Text, NpgsqlDbType.Bigint, NpgsqlDbType.TimestampTz, NpgsqlDbType.Text, NpgsqlDbType.Date, NpgsqlDbType.Text, NpgsqlDbType.Text,
            NpgsqlDbType.Array | NpgsqlDbType.Text, NpgsqlDbType.Array | NpgsqlDbType.Text, NpgsqlDbType.Array | NpgsqlDbType.Text, NpgsqlDbType.Text];
        private static readonly NpgsqlDbType[] ItemTypes = [NpgsqlDbType.Text, NpgsqlDbType.Text, NpgsqlDbType.Text, NpgsqlDbType.Text, NpgsqlDbType.Text, NpgsqlDbType.Text, NpgsqlDbType.Date,
            NpgsqlDbType.Bigint, NpgsqlDbType.TimestampTz, NpgsqlDbType.Text, NpgsqlDbType.Text, NpgsqlDbType.Text, NpgsqlDbType.Date, NpgsqlDbType.Array | NpgsqlDbType.Text, NpgsqlDbType.Text,
            NpgsqlDbType.Jsonb, NpgsqlDbType.Integer, NpgsqlDbType.Text];
        private static readonly NpgsqlDbType[] RebuttalTypes = [NpgsqlDbType.Text, NpgsqlDbType.Text];
        private static readonly NpgsqlDbType[] SignpostTypes = [NpgsqlDbType.Text, NpgsqlDbType.Text, NpgsqlDbType.Bigint, NpgsqlDbType.TimestampTz, NpgsqlDbType.Text, NpgsqlDbType.Jsonb];
        private static readonly NpgsqlDbType[] RatingTypes = [NpgsqlDbType.Text, NpgsqlDbType.Text, NpgsqlDbType.Text, NpgsqlDbType.Bigint, NpgsqlDbType.TimestampTz,
            NpgsqlDbType.Jsonb, NpgsqlDbType.Integer, NpgsqlDbType.Text];

        /// <param name="incremental">
        /// The incremental path: drop items the tables already hold and link the new ones across topics. A rebuild does
        /// both from memory (see <see cref="Loader"/>).
        /// </param>
        public async Task FlushAsync(NpgsqlConnection conn, NpgsqlTransaction tx, string schema, bool incremental, CancellationToken ct)
        {
            string[] written = [], targets = [], rebutters = [];
            if (incremental)
            {
                await SkipHeldItemsAsync(conn, tx, schema, ct);
                written = [.. _items.Select(row => (string)row[0]!)];
                targets = [.. _rebuttals.Select(row => (string)row[0]!)];
                rebutters = [.. _rebuttals.Select(row => (string)row[1]!)];
            }
            await Copy(conn, schema, "sources (source_id, position, recorded_at, name, kind, reliability, rationale)", SourceTypes, _sources, ct);
            await Copy(conn, schema, "topics (topic_id, position, recorded_at, title, period_start, period_end, hypotheses)", TopicTypes, _topics, ct);
            await Copy(conn, schema, "context_periods (period_id, position, recorded_at, label, category, start_date, end_date, decision_at)", PeriodTypes, _periods, ct);
            await Copy(conn, schema, "documents (document_id, position, recorded_at, source, published_at, title, url, authors, cites, item_ids, content_hash)", DocumentTypes, _documents, ct);
            await Copy(conn, schema, $"items ({ItemColumns})", ItemTypes, _items, ct);
            await Copy(conn, schema, "rebuttals (target, item_id)", RebuttalTypes, _rebuttals, ct);
            await Copy(conn, schema, "signposts (topic, signpost_id, position, recorded_at, kind, data)", SignpostTypes, _signposts, ct);
            await Copy(conn, schema, "analyst_ratings (analyst_id, topic, claim, position, recorded_at, ratings, credibility, note)", RatingTypes, _ratings, ct);
            if (written.Length > 0) await LinkAsync(conn, tx, schema, written, [], targets, rebutters, ct);
        }

        /// <summary>An item already held (a repeated ItemRecorded) is skipped, as the pure replay skips it.</summary>
        private async Task SkipHeldItemsAsync(NpgsqlConnection conn, NpgsqlTransaction tx, string schema, CancellationToken ct)
        {
            if (_items.Count == 0) return;
            var held = new HashSet<string>(StringComparer.Ordinal);
            await using (var cmd = new NpgsqlCommand($"select item_id from {schema}.items where item_id = any($1)", conn, tx))
            {
                cmd.Parameters.Add(new() { Value = _items.Select(r => (string)r[0]!).ToArray() });
                await using var r = await cmd.ExecuteReaderAsync(ct);
                while (await r.ReadAsync(ct)) held.Add(r.GetString(0));
            }
            var keep = new HashSet<(string, long)>();
            foreach (var row in _items)
                if (held.Add((string)row[0]!)) keep.Add(((string)row[0]!, (long)row[7]!));
            if (keep.Count == _items.Count) return;
            _items.RemoveAll(row => !keep.Contains(((string)row[0]!, (long)row[7]!)));
            var kept = _items.Select(i => (string)i[0]!).ToHashSet(StringComparer.Ordinal);
            _rebuttals.RemoveAll(row => !kept.Contains((string)row[1]!));
        }

        private static async Task Copy(NpgsqlConnection conn, string schema, string table, NpgsqlDbType[] types, List<object?[]> rows, CancellationToken ct)
        {
            if (rows.Count == 0) return;
            await using (var copy = await conn.BeginBinaryImportAsync($"copy {schema}.{table} from stdin (format binary)", ct))
            {
                foreach (var row in rows)
                {
                    // Synchronous per-value writes: they only fill Npgsql's buffer, which is flushed when full.
                    copy.StartRow();
                    for (var c = 0; c < types.Length; c++) WriteValue(copy, row[c], types[c]);
                }
                await copy.CompleteAsync(ct);
            }
            rows.Clear();
        }

        private static void WriteValue(NpgsqlBinaryImporter copy, object? value, NpgsqlDbType type)
        {
            switch (value)
            {
                case null: copy.WriteNull(); break;
                case string v: copy.Write(v, type); break;
                case long v: copy.Write(v, type); break;
                case int v: copy.Write(v, type); break;
                case DateTimeOffset v: copy.Write(v.UtcDateTime, type); break;
                case DateOnly v: copy.Write(v, type); break;
                case string[] v: copy.Write(v, type); break;
                default: copy.Write(value, type); break;
            }
        }
    }
}
