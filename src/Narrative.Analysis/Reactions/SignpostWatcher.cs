using JasperFx.Events;
using Narrative.Analysis.Alerts;
using Narrative.Domain;
using Narrative.Domain.Replay;
using Narrative.Domain.Signposts;
using Narrative.Storage;
using Wolverine;

namespace Narrative.Analysis.Reactions;

/// <summary>
/// Heuer's step 8, watched. Every new item of a topic is checked against the topic's signposts (read from the log at or
/// before the item, like the other reactions): a match records <see cref="SignpostMatched"/> on the signpost's stream,
/// with the item's event as causation, and raises an alert; an item published after a deadline that nothing matched
/// records <see cref="SignpostExpired"/> (world time has passed the deadline) and raises an alert. A newly set signpost
/// is checked against the items already held, so the order of setting and ingesting does not matter.
/// <para>
/// Event ids come from the signpost and the item (or "expired"), not from the trigger, so the daily timer
/// (<see cref="SignpostClock"/>) and a later item that both see a deadline pass record one expiry between them.
/// </para>
/// </summary>
public static class SignpostWatcher
{
    public const string Name = "reaction.signpost-watch";
    public const string MatchedAlertKind = "signpost-matched";
    public const string ExpiredAlertKind = "signpost-expired";

    public static Task<OutgoingMessages> Handle(IEvent<ItemRecorded> e, EventLog log, TimeProvider clock, CancellationToken ct) =>
        OnItemAsync(e.Data, new ReactionContext(Name, e, log, clock), ct);

    public static Task<OutgoingMessages> Handle(IEvent<SignpostSet> e, EventLog log, TimeProvider clock, CancellationToken ct) =>
        OnSignpostAsync(e.Data, new ReactionContext(Name, e, log, clock), ct);

    public static async Task<OutgoingMessages> OnItemAsync(ItemRecorded item, ReactionContext ctx, CancellationToken ct)
    {
        var signposts = await ReadAsync(ctx, item.Topic, ct);
        var outgoing = new OutgoingMessages();
        foreach (var s in signposts)
        {
            foreach (var decided in SignpostRules.Decide(s.Set, s.Matched, s.Expired, item))
            {
                foreach (var outcome in decided is SignpostExpired expired ? await ExpiryOrHeldMatchesAsync(ctx.Log, s.Set, expired, ct) : [decided])
                {
                    if (await RecordAsync(ctx.Log, s.Set, outcome, item.ItemId, ctx.CausationId, ctx.CorrelationId, $"handler:{Name}", ct) is { } alert)
                        outgoing.Add(alert);
                }
            }
        }
        return outgoing;
    }

    public static async Task<OutgoingMessages> OnSignpostAsync(SignpostSet signpost, ReactionContext ctx, CancellationToken ct)
    {
        var outgoing = new OutgoingMessages();
        foreach (var matched in await HeldMatchesAsync(ctx.Log, signpost, ctx.Event.Sequence, ct))
        {
            if (await RecordAsync(ctx.Log, signpost, matched, matched.ItemId, ctx.CausationId, ctx.CorrelationId, $"handler:{Name}", ct) is { } alert)
                outgoing.Add(alert);
        }
        return outgoing;
    }

    /// <summary>
    /// A deadline has passed with no match only when the log holds no matching item: the watcher of an earlier item may
    /// not have run yet (items are handled concurrently, and a CLI process may stop before its handlers do). So before an
    /// expiry is recorded the held items are checked, and their matches are recorded instead when there are any.
    /// </summary>
    internal static async Task<IReadOnlyList<object>> ExpiryOrHeldMatchesAsync(EventLog log, SignpostSet s, SignpostExpired expired, CancellationToken ct)
    {
        var matches = await HeldMatchesAsync(log, s, long.MaxValue, ct);
        return matches.Count > 0 ? [.. matches] : [expired];
    }

    /// <summary>The matches of the signpost's topic's items held at or before position <paramref name="upTo"/> and not retracted by then.</summary>
    private static async Task<List<SignpostMatched>> HeldMatchesAsync(EventLog log, SignpostSet s, long upTo, CancellationToken ct)
    {
        await using var cmd = log.DataSource.CreateCommand($"""
            select e.data::text from {EventStoreSetup.Schema}.mt_events e
            where e.seq_id <= $4 and e.type = $1 and e.data->>'topic' = $2
              and not exists (select 1 from {EventStoreSetup.Schema}.mt_events x
                              where x.type = $3 and x.data->>'itemId' = e.data->>'itemId' and x.seq_id <= $4)
            order by e.seq_id
            """);
        var itemType = log.TypeName(typeof(ItemRecorded));
        cmd.Parameters.Add(new() { Value = itemType });
        cmd.Parameters.Add(new() { Value = s.Topic });
        cmd.Parameters.Add(new() { Value = log.TypeName(typeof(ItemRetracted)) });
        cmd.Parameters.Add(new() { Value = upTo });
        var matches = new List<SignpostMatched>();
        await using var r = await cmd.ExecuteReaderAsync(ct);
        while (await r.ReadAsync(ct))
        {
            if (log.Deserialize(itemType, r.GetString(0)) is ItemRecorded item && SignpostRules.Matches(s, item))
                matches.Add(new SignpostMatched(s.Topic, s.SignpostId, item.ItemId, item.DocumentId, item.PublishedAt, s.Expect == "absent"));
        }
        return matches;
    }

    internal sealed record Known(SignpostSet Set, bool Matched, bool Expired, Guid SetEventId);

    /// <summary>The topic's signposts as the log holds them at or before the trigger.</summary>
    private static async Task<IReadOnlyList<Known>> ReadAsync(ReactionContext ctx, string topic, CancellationToken ct)
    {
        var events = await ReactionLog.ReadAsync(ctx, "e.type = any($3) and e.data->>'topic' = $4",
            [new[] { ReactionLog.TypeName<SignpostSet>(ctx), ReactionLog.TypeName<SignpostMatched>(ctx), ReactionLog.TypeName<SignpostExpired>(ctx) }, topic], ct);
        return Fold(events.Select(e => (e.EventId, e.Data)));
    }

    internal static IReadOnlyList<Known> Fold(IEnumerable<(Guid EventId, object Data)> events)
    {
        var list = events.ToList();
        return [.. list
            .Where(e => e.Data is SignpostSet)
            .Select(e => (Set: (SignpostSet)e.Data, e.EventId))
            .GroupBy(x => x.Set.SignpostId, StringComparer.Ordinal)
            .Select(g => g.First())
            .Select(x => new Known(x.Set,
                list.Any(e => e.Data is SignpostMatched m && m.SignpostId == x.Set.SignpostId),
                list.Any(e => e.Data is SignpostExpired v && v.SignpostId == x.Set.SignpostId),
                x.EventId))];
    }

    /// <summary>
    /// Appends the outcome (idempotently: its id comes from the signpost and the item or "expired") and returns the alert,
    /// or null when the same outcome was already recorded.
    /// </summary>
    internal static async Task<Alert?> RecordAsync(EventLog log, SignpostSet s, object outcome, string? itemId, string causationId, string correlationId,
        string actor, CancellationToken ct)
    {
        var stream = NarrativeEventTypes.SignpostStream(s.Topic, s.SignpostId);
        var key = outcome is SignpostMatched m ? $"matched|{m.ItemId}" : "expired";
        var id = Ingestion.IngestionService.DeterministicId($"{stream}|{key}");
        var meta = new EventMetadata { CausationId = causationId, CorrelationId = correlationId, Actor = actor };
        var result = await log.AppendAsync(stream, ExpectedVersion.Any, [new EventData(id, outcome, meta)], ct);
        if (!result.Created) return null;
        return outcome switch
        {
            SignpostMatched hit => new Alert(MatchedAlertKind, s.Topic, null, s.Hypothesis, null, null, hit.PublishedAt, [hit.ItemId],
                new Dictionary<string, double>(), causationId,
                hit.Failed
                    ? $"Signpost {s.SignpostId} failed: {hit.ItemId} ({hit.PublishedAt:yyyy-MM-dd}) is what {s.Hypothesis} said would not happen ({s.Description})."
                    : $"Signpost {s.SignpostId} matched by {hit.ItemId} ({hit.PublishedAt:yyyy-MM-dd}), as {s.Hypothesis} expects ({s.Description}).")
            { Signpost = s.SignpostId },
            SignpostExpired x => new Alert(ExpiredAlertKind, s.Topic, null, s.Hypothesis, null, null, x.ObservedAt, itemId is null ? [] : [itemId],
                new Dictionary<string, double>(), causationId,
                x.Failed
                    ? $"Signpost {s.SignpostId} expired on {x.Deadline:yyyy-MM-dd} with no match: what {s.Hypothesis} expected did not happen ({s.Description})."
                    : $"Signpost {s.SignpostId} expired on {x.Deadline:yyyy-MM-dd} with no match: the absence {s.Hypothesis} expected held ({s.Description}).")
            { Signpost = s.SignpostId },
            _ => null,
        };
    }
}
