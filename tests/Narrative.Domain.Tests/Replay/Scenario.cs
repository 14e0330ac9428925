using Narrative.Domain.Replay;

namespace Narrative.Domain.Tests.Replay;

/// <summary>A hand-made event log. Each event is recorded one hour after the previous one (system time).</summary>
internal sealed class Scenario
{
    public static readonly DateTimeOffset Start = new(2024, 6, 1, 0, 0, 0, TimeSpan.Zero);

    private readonly List<RecordedEvent> _events = [];

    public IReadOnlyList<RecordedEvent> Events => _events;

    public NarrativeWorld World => NarrativeWorld.From(_events);

    public DateTimeOffset Now => _events.Count == 0 ? Start : _events[^1].RecordedAt;

    public RecordedEvent Append(string stream, object data)
    {
        var e = new RecordedEvent(_events.Count + 1, stream, data, Start.AddHours(_events.Count + 1));
        _events.Add(e);
        return e;
    }

    public Scenario Source(string id, string reliability)
    {
        Append($"source-{id}", new SourceRegistered(id, id.ToUpperInvariant(), "outlet", reliability, null));
        return this;
    }

    public Scenario Topic(string id, DateOnly start, DateOnly end, params string[] hypotheses)
    {
        Append($"topic-{id}", new TopicOpened(id, id, start, end, [.. hypotheses.Select(h => new Hypothesis(h, h.ToUpperInvariant(), null))]));
        return this;
    }

    public Scenario Context(string id, string category, DateOnly start, DateOnly end, DateOnly? decisionAt)
    {
        Append($"context-{id}", new ContextPeriodRecorded(id, id, category, start, end, decisionAt));
        return this;
    }

    public Scenario Document(string id, string source, DateOnly publishedAt, string[] cites, params Item[] items)
    {
        Append($"document-{id}", new DocumentIngested(id, source, publishedAt, id, null, [], cites, [.. items.Select(i => i.Id)], "hash-" + id));
        foreach (var i in items)
        {
            Append($"document-{id}", new ItemRecorded(i.Id, id, source, publishedAt, i.Topic, i.Type, i.Claim ?? i.Id, "summary", null, null, null,
                i.Credibility, i.Ratings, i.Rebuts ?? [], null));
        }
        return this;
    }

    public RecordedEvent Rerate(string itemId, string documentId, string topic, IReadOnlyDictionary<string, string>? ratings, int? credibility) =>
        Append($"document-{documentId}", new ItemRerated(itemId, documentId, topic, ratings, credibility, "correction"));

    public RecordedEvent Retract(string itemId, string documentId, string topic) =>
        Append($"document-{documentId}", new ItemRetracted(itemId, documentId, topic, "retracted"));
}

internal sealed record Item(string Id, string Topic, string Type, string? Claim, int Credibility, IReadOnlyDictionary<string, string> Ratings, string[]? Rebuts = null);
