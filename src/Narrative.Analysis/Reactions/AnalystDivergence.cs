using JasperFx.Events;
using Narrative.Analysis.Alerts;
using Narrative.Domain;
using Narrative.Domain.Analysts;
using Narrative.Domain.Replay;
using Narrative.Storage;

namespace Narrative.Analysis.Reactions;

/// <summary>
/// When an analyst's new ratings make their leading hypothesis differ from the team's consensus leader, raises an
/// <c>analyst-diverges</c> alert naming the analyst, the topic and both hypotheses.
/// <para>
/// Like <see cref="AssessmentWatcher"/>, it reads only the log at or before the trigger (the topic, its items, the
/// topic's revisions, the sources and their regrades, and the analysts' ratings of the topic) and scores with <see cref="WorldQueries.Assess"/> through the
/// analyst's and the consensus lens, before the trigger's append and with it, as of the present date. One decision per
/// append: only the last rating of the append for the topic decides. It alerts when the two leaders differ after the
/// append and did not differ in the same way before (a rating that leaves a known divergence as it was says nothing new).
/// </para>
/// </summary>
public static class AnalystDivergence
{
    public const string AlertKind = "analyst-diverges";

    public const string Name = "reaction.analyst-divergence";

    public static async Task<Alert?> Handle(IEvent<RatingRecorded> e, EventLog log, TimeProvider clock, CancellationToken ct)
    {
        var ctx = new ReactionContext(Name, e, log, clock);
        var topic = e.Data.Topic;
        var analyst = e.Data.AnalystId;
        var ratingType = ReactionLog.TypeName<RatingRecorded>(ctx);
        if (await LaterInAppendAsync(ctx, ratingType, topic, ct)) return null;

        string[] itemTypes = [ReactionLog.TypeName<ItemRecorded>(ctx), ReactionLog.TypeName<ItemRerated>(ctx), ReactionLog.TypeName<ItemRetracted>(ctx), ratingType];
        var events = await ReactionLog.ReadAsync(ctx,
            "(e.type = any($3) and e.data->>'topic' = $4) or (e.type = any($5) and e.stream_id = $6) or e.type = any($7)",
            [itemTypes, topic, new[] { ReactionLog.TypeName<TopicOpened>(ctx), ReactionLog.TypeName<HypothesesRevised>(ctx) },
                NarrativeEventTypes.TopicStream(topic), new[] { ReactionLog.TypeName<SourceRegistered>(ctx), ReactionLog.TypeName<SourceRegraded>(ctx) }], ct);
        var before = Leaders(events.Where(x => !(x.Stream == e.StreamKey && x.RecordedAt == e.Timestamp)), topic, analyst, ctx.Now);
        var after = Leaders(events, topic, analyst, ctx.Now);
        if (after is not { Mine: { } mine, Team: { } team } || mine.Id == team.Id) return null;
        if (before is { Mine: { } m0, Team: { } t0 } && m0.Id == mine.Id && t0.Id == team.Id) return null;

        return new Alert(AlertKind, topic, team.Id, mine.Id, team.Label, mine.Label, WorldQueries.WorldDate(ctx.Now), [e.Data.Claim],
            new Dictionary<string, double>(), ctx.CausationId,
            $"{analyst}'s leading hypothesis on {topic} is now {mine.Label}, while the consensus leads with {team.Label}.", Analyst: analyst);
    }

    private sealed record Leader(string Id, string Label);

    private sealed record Pair(Leader? Mine, Leader? Team);

    private static Pair? Leaders(IEnumerable<LoggedEvent> events, string topic, string analyst, DateTimeOffset now)
    {
        var world = NarrativeWorld.From(events.Select(x => x.ToRecorded()));
        var mine = WorldQueries.Assess(world, topic, now, DateTimeOffset.MaxValue, RatingsLens.Of(analyst));
        var team = WorldQueries.Assess(world, topic, now, DateTimeOffset.MaxValue, RatingsLens.Consensus);
        if (mine is null || team is null) return null;
        Leader? Of(Narrative.Domain.Assessment.AssessmentResult a) =>
            a.Leading is { } id ? new Leader(id, a.Hypotheses.First(h => h.Id == id).Label) : null;
        return new Pair(Of(mine), Of(team));
    }

    private static async Task<bool> LaterInAppendAsync(ReactionContext ctx, string ratingType, string topic, CancellationToken ct)
    {
        await using var cmd = ctx.Log.DataSource.CreateCommand($"""
            select exists (select 1 from {EventStoreSetup.Schema}.mt_events
                           where stream_id = $1 and timestamp = $2 and seq_id > $3 and type = $4 and data->>'topic' = $5)
            """);
        cmd.Parameters.Add(new() { Value = ctx.Event.StreamKey ?? "" });
        cmd.Parameters.Add(new() { Value = ctx.Event.Timestamp });
        cmd.Parameters.Add(new() { Value = ctx.Event.Sequence });
        cmd.Parameters.Add(new() { Value = ratingType });
        cmd.Parameters.Add(new() { Value = topic });
        return (bool)(await cmd.ExecuteScalarAsync(ct))!;
    }
}
