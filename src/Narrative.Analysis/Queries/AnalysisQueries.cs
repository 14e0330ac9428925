using Narrative.Analysis.ReadModel;
using Narrative.Domain.Assessment;
using Narrative.Domain.Coincidence;
using Narrative.Domain.Provenance;
using Narrative.Domain.Replay;
using Narrative.Domain.Signposts;
using Narrative.Domain.Timeline;
using Narrative.Domain.Timing;
using Npgsql;

namespace Narrative.Analysis.Queries;

public sealed record TopicSummary(string Id, string Title, DateOnly PeriodStart, DateOnly PeriodEnd, IReadOnlyList<Narrative.Domain.Hypothesis> Hypotheses,
    int Items, int Documents);

public sealed record ContextPeriodView(string Id, string Label, string Category, DateOnly Start, DateOnly End, DateOnly? DecisionAt);

/// <summary>
/// The analyst's questions, answered from the read model at any (asOf, knownAt). Topic questions read the topic's
/// slice through a <see cref="TopicWorldCache"/> of <paramref name="cachedTopics"/> topics (0: read the slice for each
/// question, filtered in SQL).
/// </summary>
public sealed partial class AnalysisQueries(NpgsqlDataSource db, int cachedTopics = AnalysisQueries.DefaultCachedTopics)
{
    public const int DefaultCachedTopics = 8;
    private const string S = AnalysisProjection.LiveSchema;
    private readonly WorldSlice _slice = new(db);

    /// <summary>The topic cache, or null when disabled.</summary>
    public TopicWorldCache? Cache { get; } = cachedTopics > 0 ? new TopicWorldCache(db, cachedTopics) : null;

    private async Task<NarrativeWorld> TopicWorldAsync(string topic, DateOnly asOf, DateTimeOffset knownAt, CancellationToken ct) =>
        Cache is null ? await _slice.ForTopicAsync(topic, asOf, knownAt, ct) : await Cache.WorldAsync(topic, ct);

    public Task<AssessmentResult?> AssessAsync(string topic, DateTimeOffset asOf, DateTimeOffset knownAt, CancellationToken ct) =>
        AssessAsync(topic, asOf, knownAt, ScoringRules.Default, ct);

    public async Task<AssessmentResult?> AssessAsync(string topic, DateTimeOffset asOf, DateTimeOffset knownAt, ScoringRules rules, CancellationToken ct) =>
        WorldQueries.Assess(await TopicWorldAsync(topic, WorldQueries.WorldDate(asOf), knownAt, ct), topic, asOf, knownAt, rules: rules);

    public Task<SensitivityResult?> SensitivityAsync(string topic, DateTimeOffset asOf, DateTimeOffset knownAt, CancellationToken ct) =>
        SensitivityAsync(topic, asOf, knownAt, ScoringRules.Default, ct);

    public async Task<SensitivityResult?> SensitivityAsync(string topic, DateTimeOffset asOf, DateTimeOffset knownAt, ScoringRules rules, CancellationToken ct) =>
        WorldQueries.Sensitivity(await TopicWorldAsync(topic, WorldQueries.WorldDate(asOf), knownAt, ct), topic, asOf, knownAt, rules);

    /// <summary>The topic's signposts and their status at (asOf, knownAt).</summary>
    public async Task<SignpostsResult?> SignpostsAsync(string topic, DateTimeOffset asOf, DateTimeOffset knownAt, CancellationToken ct) =>
        SignpostRules.StatusAt(await TopicWorldAsync(topic, WorldQueries.WorldDate(asOf), knownAt, ct), topic, asOf, knownAt);

    public async Task<CoincidenceResult?> CoincidenceAsync(string topic, DateTimeOffset asOf, DateTimeOffset knownAt, CancellationToken ct) =>
        WorldQueries.Coincidence(await TopicWorldAsync(topic, WorldQueries.WorldDate(asOf), knownAt, ct), topic, asOf, knownAt);

    public async Task<TimingResult?> TimingAsync(string topic, DateTimeOffset asOf, DateTimeOffset knownAt, int window, CancellationToken ct) =>
        WorldQueries.Timing(await TopicWorldAsync(topic, WorldQueries.WorldDate(asOf), knownAt, ct), topic, asOf, knownAt, window);

    public async Task<ProvenanceResult> ProvenanceAsync(string claim, DateTimeOffset asOf, DateTimeOffset knownAt, CancellationToken ct) =>
        WorldQueries.Provenance(await _slice.ForClaimAsync(claim, WorldQueries.WorldDate(asOf), knownAt, ct), claim, asOf, knownAt);

    public Task<TimelineResult?> TimelineAsync(string topic, DateOnly from, DateOnly to, TimelineStep step, DateTimeOffset knownAt, CancellationToken ct) =>
        TimelineAsync(topic, from, to, step, knownAt, ScoringRules.Default, ct);

    public async Task<TimelineResult?> TimelineAsync(string topic, DateOnly from, DateOnly to, TimelineStep step, DateTimeOffset knownAt, ScoringRules rules,
        CancellationToken ct) =>
        WorldQueries.Timeline(await TopicWorldAsync(topic, to, knownAt, ct), topic, from, to, step, knownAt, rules);

    /// <summary>World-time changes: what was published in (from, to].</summary>
    public Task<ChangesResult?> ChangesAsync(string topic, DateOnly from, DateOnly to, DateTimeOffset knownAt, CancellationToken ct) =>
        ChangesAsync(topic, from, to, knownAt, ScoringRules.Default, ct);

    public async Task<ChangesResult?> ChangesAsync(string topic, DateOnly from, DateOnly to, DateTimeOffset knownAt, ScoringRules rules, CancellationToken ct) =>
        WorldQueries.Changes(await TopicWorldAsync(topic, to > from ? to : from, knownAt, ct), topic, from, to, knownAt, rules);

    /// <summary>System-time changes: what was recorded in (knownFrom, knownTo] changed about the picture as of asOf.</summary>
    public Task<ChangesResult?> ChangesAsync(string topic, DateTimeOffset asOf, DateTimeOffset knownFrom, DateTimeOffset knownTo, CancellationToken ct) =>
        ChangesAsync(topic, asOf, knownFrom, knownTo, ScoringRules.Default, ct);

    public async Task<ChangesResult?> ChangesAsync(string topic, DateTimeOffset asOf, DateTimeOffset knownFrom, DateTimeOffset knownTo, ScoringRules rules,
        CancellationToken ct) =>
        WorldQueries.Changes(await TopicWorldAsync(topic, WorldQueries.WorldDate(asOf), knownFrom > knownTo ? knownFrom : knownTo, ct),
            topic, asOf, knownFrom, knownTo, rules);

    public async Task<IReadOnlyList<TopicSummary>> TopicsAsync(CancellationToken ct)
    {
        await using var cmd = db.CreateCommand($"""
            select distinct on (t.topic_id) t.topic_id, t.title, t.period_start, t.period_end, t.hypotheses::text,
                   (select count(*) from {S}.items i where i.topic = t.topic_id and i.retracted_position is null),
                   (select count(distinct i.document_id) from {S}.items i where i.topic = t.topic_id)
            from {S}.topics t order by t.topic_id, t.position desc
            """);
        var list = new List<TopicSummary>();
        await using var r = await cmd.ExecuteReaderAsync(ct);
        while (await r.ReadAsync(ct))
            list.Add(new TopicSummary(r.GetString(0), r.GetString(1), r.GetFieldValue<DateOnly>(2), r.GetFieldValue<DateOnly>(3),
                System.Text.Json.JsonSerializer.Deserialize<List<Narrative.Domain.Hypothesis>>(r.GetString(4), NarrativeEvents.Json)!,
                (int)r.GetInt64(5), (int)r.GetInt64(6)));
        return list;
    }

    public async Task<IReadOnlyList<ContextPeriodView>> ContextPeriodsAsync(CancellationToken ct)
    {
        await using var cmd = db.CreateCommand($"""
            select distinct on (period_id) period_id, label, category, start_date, end_date, decision_at
            from {S}.context_periods order by period_id, position desc
            """);
        var list = new List<ContextPeriodView>();
        await using var r = await cmd.ExecuteReaderAsync(ct);
        while (await r.ReadAsync(ct))
            list.Add(new ContextPeriodView(r.GetString(0), r.GetString(1), r.GetString(2), r.GetFieldValue<DateOnly>(3), r.GetFieldValue<DateOnly>(4),
                r.IsDBNull(5) ? null : r.GetFieldValue<DateOnly>(5)));
        return list.OrderBy(p => p.Start).ToList();
    }
}
