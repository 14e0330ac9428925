using Narrative.Domain;
using JasperFx.Events;
using Narrative.Storage;

namespace Narrative.Analysis.Reactions;

/// <summary>
/// Two flags, both on the topic stream.
/// <para>
/// A <c>rebuttal</c> contests each item it rebuts as of its own publishedAt: one <see cref="ItemContested"/> per target,
/// on the target's topic stream (the target's topic is where it is read as evidence).
/// </para>
/// <para>
/// A private <c>signal</c> and an on-record <c>statement</c> of the same topic, of opposite tenor (<see cref="Opposite"/>),
/// whose dates are at most <see cref="WindowDays"/> apart, are a public/private contradiction
/// (<see cref="ContradictionFlagged"/>). An item's date is its occurredAt when given (when the contact happened or the
/// words were said), else its publishedAt: the contradiction is about saying both at the same time, not about when
/// outlets reported them. Both directions: a new statement looks at the held signals and a new signal at the held
/// statements (non-retracted, recorded before it), so each pair is flagged once, by whichever came second.
/// </para>
/// </summary>
public static class ContradictionFlagger
{
    public const int WindowDays = 14;

    /// <summary>The hypotheses that span the tenor axis when a topic has both: openness to a deal against none.</summary>
    public const string OpenHypothesis = "genuine";
    public const string ClosedHypothesis = "maximalist";

    public const string Name = "reaction.contradiction";

    public static Task Handle(IEvent<ItemRecorded> e, EventLog log, TimeProvider clock, CancellationToken ct) =>
        ReactAsync(e.Data, new ReactionContext(Name, e, log, clock), ct);

    public static async Task ReactAsync(ItemRecorded item, ReactionContext ctx, CancellationToken ct)
    {
        switch (item.Type)
        {
            case "rebuttal":
                await ContestAsync(item, ctx, ct);
                break;
            case "signal" or "statement":
                await FlagContradictionsAsync(item, ctx, ct);
                break;
        }
    }

    private static async Task ContestAsync(ItemRecorded rebuttal, ReactionContext ctx, CancellationToken ct)
    {
        if (rebuttal.Rebuts.Count == 0) return;
        var targets = (await ReactionLog.ReadAsync(ctx, "e.type = $3 and e.data->>'itemId' = any($4)",
                [ReactionLog.TypeName<ItemRecorded>(ctx), rebuttal.Rebuts.ToArray()], ct))
            .Select(e => (ItemRecorded)e.Data)
            .ToDictionary(i => i.ItemId, StringComparer.Ordinal);
        foreach (var group in rebuttal.Rebuts.Distinct(StringComparer.Ordinal)
                     .GroupBy(id => targets.GetValueOrDefault(id)?.Topic ?? rebuttal.Topic, StringComparer.Ordinal))
        {
            await ReactionLog.AppendAsync(ctx, NarrativeEventTypes.TopicStream(group.Key),
                [.. group.Select(id => new ItemContested(group.Key, id, rebuttal.ItemId, rebuttal.PublishedAt))], ct);
        }
    }

    private static async Task FlagContradictionsAsync(ItemRecorded item, ReactionContext ctx, CancellationToken ct)
    {
        var other = item.Type == "signal" ? "statement" : "signal";
        var day = DateOf(item);
        var candidates = (await ReactionLog.ReadAsync(ctx,
                $"e.type = $3 and e.data->>'topic' = $4 and e.data->>'type' = $5 and e.data->>'itemId' <> $6 and {ReactionLog.NotRetracted(7)}",
                [ReactionLog.TypeName<ItemRecorded>(ctx), item.Topic, other, item.ItemId, ReactionLog.TypeName<ItemRetracted>(ctx)], ct))
            .Select(e => (ItemRecorded)e.Data)
            .Where(c => Math.Abs(DateOf(c).DayNumber - day.DayNumber) <= WindowDays)
            .ToList();
        if (candidates.Count == 0) return;

        var hypotheses = await HypothesesAsync(ctx, item.Topic, ct);
        var flags = candidates
            .Select(c => item.Type == "signal" ? (Signal: item, Statement: c) : (Signal: c, Statement: item))
            .Where(p => Opposite(p.Signal.Ratings, p.Statement.Ratings, hypotheses))
            .Select(p => (object)new ContradictionFlagged(item.Topic, p.Signal.ItemId, p.Statement.ItemId,
                Math.Abs(DateOf(p.Signal).DayNumber - DateOf(p.Statement).DayNumber)))
            .ToList();
        await ReactionLog.AppendAsync(ctx, NarrativeEventTypes.TopicStream(item.Topic), flags, ct);
    }

    public static DateOnly DateOf(ItemRecorded item) => item.OccurredAt ?? item.PublishedAt;

    /// <summary>CC = 2, C = 1, N = 0, I = −1, II = −2; NA, unknown or missing = 0.</summary>
    public static int Value(IReadOnlyDictionary<string, string> ratings, string hypothesis) =>
        ratings.GetValueOrDefault(hypothesis) switch
        {
            "CC" => 2,
            "C" => 1,
            "I" => -1,
            "II" => -2,
            _ => 0,
        };

    /// <summary>
    /// Opposite tenor. When the topic has both <see cref="OpenHypothesis"/> and <see cref="ClosedHypothesis"/>:
    /// tenor = sign(value(open) − value(closed)), and the two are opposite when both tenors are non-zero and differ
    /// (a signal consistent with openness against a statement consistent with no deal, or the reverse). Otherwise, on
    /// the rating vectors: opposite when for some hypothesis the signal is C/CC and the statement I/II, and for another
    /// the signal is I/II and the statement C/CC.
    /// </summary>
    public static bool Opposite(IReadOnlyDictionary<string, string> signal, IReadOnlyDictionary<string, string> statement, IReadOnlyCollection<string> hypotheses)
    {
        if (hypotheses.Contains(OpenHypothesis) && hypotheses.Contains(ClosedHypothesis))
        {
            var a = Tenor(signal);
            var b = Tenor(statement);
            return a != 0 && b != 0 && a != b;
        }
        return hypotheses.Any(h => Value(signal, h) > 0 && Value(statement, h) < 0)
            && hypotheses.Any(h => Value(signal, h) < 0 && Value(statement, h) > 0);
    }

    public static int Tenor(IReadOnlyDictionary<string, string> ratings) =>
        Math.Sign(Value(ratings, OpenHypothesis) - Value(ratings, ClosedHypothesis));

    private static async Task<IReadOnlyCollection<string>> HypothesesAsync(ReactionContext ctx, string topic, CancellationToken ct)
    {
        var opened = await ReactionLog.ReadAsync(ctx, "e.type = $3 and e.stream_id = $4",
            [ReactionLog.TypeName<TopicOpened>(ctx), NarrativeEventTypes.TopicStream(topic)], ct);
        return opened.Count == 0 ? [] : [.. ((TopicOpened)opened[^1].Data).Hypotheses.Select(h => h.Id)];
    }
}
