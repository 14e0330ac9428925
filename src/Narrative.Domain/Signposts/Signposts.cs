using Narrative.Domain.Replay;

namespace Narrative.Domain.Signposts;

/// <summary>One item that matched a signpost.</summary>
public sealed record SignpostHit(string ItemId, string DocumentId, DateOnly PublishedAt, long Position, DateTimeOffset RecordedAt);

/// <summary>
/// A signpost at (asOf, knownAt). <paramref name="Status"/>: <c>open</c>, <c>matched</c> or <c>expired</c>.
/// <paramref name="Outcome"/>: what the status says about the hypothesis: <c>borne-out</c> (expected and seen),
/// <c>failed</c> (expected and the deadline passed, or expected absent and seen) or <c>held</c> (expected absent and the
/// deadline passed); null while open.
/// </summary>
public sealed record SignpostStatus(
    string Id, string Hypothesis, string Description, string Expect, SignpostPattern Match, DateOnly From, DateOnly Deadline,
    string Status, string? Outcome, IReadOnlyList<SignpostHit> Matches, DateOnly? ExpiredAt, long Position);

public sealed record SignpostsResult(string Topic, DateTimeOffset AsOf, DateTimeOffset KnownAt, long Position, IReadOnlyList<SignpostStatus> Signposts);

/// <summary>
/// Heuer's step 8, the rules. An item matches a signpost when it is of the signpost's topic, of one of its types, claims
/// and sources (an empty list allows any; a source matches the carrier or the speaker) and published within
/// [from, deadline]. A deadline passes in world time: when an item of the topic published after it arrives, or when the
/// daily timer's date is after it. Matches and expiries are recorded as events by the watcher, so the status at an
/// earlier knownAt is what the system had concluded then.
/// </summary>
public static class SignpostRules
{
    public const string Open = "open";
    public const string Matched = "matched";
    public const string Expired = "expired";

    public static bool Matches(SignpostSet signpost, ItemRecorded item)
    {
        ArgumentNullException.ThrowIfNull(signpost);
        ArgumentNullException.ThrowIfNull(item);
        var m = signpost.Match;
        return item.Topic == signpost.Topic
            && item.PublishedAt >= signpost.From && item.PublishedAt <= signpost.Deadline
            && (m.Types.Count == 0 || m.Types.Contains(item.Type))
            && (m.Claims.Count == 0 || m.Claims.Contains(item.Claim))
            && (m.Sources.Count == 0 || m.Sources.Contains(item.Source) || (item.Speaker is { } s && m.Sources.Contains(s)));
    }

    /// <summary>The deadline has passed by world date <paramref name="date"/>.</summary>
    public static bool Passed(SignpostSet signpost, DateOnly date) => date > signpost.Deadline;

    /// <summary>
    /// What a new item does to a signpost the log holds (with its matches and expiry so far): a match (once per item),
    /// or an expiry when the item was published after the deadline and nothing matched. Empty when neither.
    /// </summary>
    public static IReadOnlyList<object> Decide(SignpostSet signpost, bool alreadyMatched, bool alreadyExpired, ItemRecorded item)
    {
        ArgumentNullException.ThrowIfNull(signpost);
        ArgumentNullException.ThrowIfNull(item);
        if (Matches(signpost, item))
        {
            return [new SignpostMatched(signpost.Topic, signpost.SignpostId, item.ItemId, item.DocumentId, item.PublishedAt, signpost.Expect == "absent")];
        }
        if (item.Topic == signpost.Topic && !alreadyMatched && !alreadyExpired && Passed(signpost, item.PublishedAt))
        {
            return [Expire(signpost, item.PublishedAt)];
        }
        return [];
    }

    /// <summary>The daily timer: an expiry when <paramref name="today"/> is past the deadline and nothing matched.</summary>
    public static SignpostExpired? OnTimer(SignpostSet signpost, bool alreadyMatched, bool alreadyExpired, DateOnly today)
    {
        ArgumentNullException.ThrowIfNull(signpost);
        return !alreadyMatched && !alreadyExpired && Passed(signpost, today) ? Expire(signpost, today) : null;
    }

    private static SignpostExpired Expire(SignpostSet s, DateOnly observedAt) => new(s.Topic, s.SignpostId, s.Deadline, observedAt, s.Expect == "present");

    public static string? Outcome(string expect, string status) => (expect, status) switch
    {
        ("present", Matched) => "borne-out",
        ("present", Expired) => "failed",
        ("absent", Matched) => "failed",
        ("absent", Expired) => "held",
        _ => null,
    };

    /// <summary>
    /// Each signpost of <paramref name="topic"/> known at <paramref name="knownAt"/>, with its status at world date
    /// <paramref name="asOf"/>: matched when a recorded match was published by then, else expired when a recorded expiry's
    /// deadline is before it, else open. A match wins over an expiry: a backfilled item published inside the window
    /// shows the signpost was in fact seen in time.
    /// </summary>
    public static SignpostsResult? StatusAt(NarrativeWorld world, string topic, DateTimeOffset asOf, DateTimeOffset knownAt)
    {
        ArgumentNullException.ThrowIfNull(world);
        if (world.TopicAt(topic, knownAt) is not { } topicVersion)
        {
            return null;
        }
        var date = WorldQueries.WorldDate(asOf);
        var events = (world.Signposts.GetValueOrDefault(topic) ?? []).Where(v => v.RecordedAt <= knownAt).ToList();
        var position = topicVersion.Position;
        var list = new List<SignpostStatus>();
        foreach (var set in events.Where(v => v.Value is SignpostSet).GroupBy(v => ((SignpostSet)v.Value).SignpostId, StringComparer.Ordinal))
        {
            var first = set.First();
            var s = (SignpostSet)first.Value;
            position = Math.Max(position, first.Position);
            var hits = events
                .Where(v => v.Value is SignpostMatched m && m.SignpostId == s.SignpostId && m.PublishedAt <= date)
                .Select(v => (v, m: (SignpostMatched)v.Value))
                .GroupBy(x => x.m.ItemId, StringComparer.Ordinal)
                .Select(g => g.First())
                .OrderBy(x => x.m.PublishedAt).ThenBy(x => x.m.ItemId, StringComparer.Ordinal)
                .Select(x => new SignpostHit(x.m.ItemId, x.m.DocumentId, x.m.PublishedAt, x.v.Position, x.v.RecordedAt))
                .ToList();
            var expiry = events
                .Where(v => v.Value is SignpostExpired x && x.SignpostId == s.SignpostId && x.Deadline < date)
                .Select(v => (v, x: (SignpostExpired)v.Value))
                .FirstOrDefault();
            var status = hits.Count > 0 ? Matched : expiry.v is not null ? Expired : Open;
            var own = Math.Max(first.Position, Math.Max(hits.Count == 0 ? 0 : hits.Max(h => h.Position), status == Expired ? expiry.v!.Position : 0));
            position = Math.Max(position, own);
            list.Add(new SignpostStatus(s.SignpostId, s.Hypothesis, s.Description, s.Expect, s.Match, s.From, s.Deadline, status,
                Outcome(s.Expect, status), hits, status == Expired ? expiry.x.Deadline.AddDays(1) : null, own));
        }
        return new SignpostsResult(topic, asOf, knownAt, position, [.. list.OrderBy(x => x.Deadline).ThenBy(x => x.Id, StringComparer.Ordinal)]);
    }
}
