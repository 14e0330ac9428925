using Microsoft.Extensions.DependencyInjection;
using Narrative.Analysis.Alerts;
using Narrative.Analysis.Ingestion;
using Narrative.Domain.Corpus;
using Narrative.Storage;
using Narrative.Testing;

namespace Narrative.Analysis.Tests.Reactions;

/// <summary>
/// A fresh database with Narrative hosted as in production: Marten's daemon relays ingestion events to the four
/// reactions, Wolverine handlers on durable local queues. Plus input builders and ways to wait for the handlers.
/// </summary>
public sealed class ReactionsHarness : IAsyncDisposable
{
    public const string Topic = "stance";
    public static readonly Dictionary<string, string> Open = new() { ["genuine"] = "C", ["feigned"] = "C", ["maximalist"] = "I" };
    public static readonly Dictionary<string, string> Closed = new() { ["genuine"] = "I", ["feigned"] = "C", ["maximalist"] = "C" };

    /// <summary>The relay's shard in <c>mt_event_progression</c>.</summary>
    public static readonly string RelayShard = $"{NarrativeHosting.RelayName}:All";

    private int _attempts;

    public AnalysisHarness Analysis { get; private set; } = null!;
    public NarrativeServices Services => Analysis.Services;

    public static async Task<ReactionsHarness> StartAsync(PostgresFixture pg, bool withTopic = true, int handlerAttempts = 3)
    {
        var h = new ReactionsHarness { Analysis = await AnalysisHarness.StartAsync(pg, handlerAttempts), _attempts = handlerAttempts };
        if (withTopic)
        {
            await h.Ok(h.Services.Ingestion.OpenTopicAsync(new TopicInput(Topic, "Stance", new PeriodInput("2024-01-01", "2024-12-31"),
                [new("genuine", "Genuine", null), new("feigned", "Feigned", null), new("maximalist", "Maximalist", null)]), AnalysisHarness.Tests, default));
            foreach (var s in new[] { "origin", "outlet", "other", "think" })
                await h.Ok(h.Services.Ingestion.RegisterSourceAsync(new SourceInput(s, s, "news", "B", null), AnalysisHarness.Tests, default));
        }
        return h;
    }

    /// <summary>
    /// Rewinds the relay to the start of the log through Marten's daemon (as an operator would after a lost inbox):
    /// every ingestion event is published to the handlers a second time.
    /// </summary>
    public async Task RedeliverEverythingAsync()
    {
        var coordinator = Analysis.Provider.GetRequiredService<Marten.Events.Daemon.Coordination.IProjectionCoordinator>();
        await coordinator.DaemonForMainDatabase().RewindSubscriptionAsync(NarrativeHosting.RelayName, default, sequenceFloor: 0);
    }

    public async Task Ok(Task<IngestResult> ingest)
    {
        var r = await ingest;
        Assert.True(r.Status == IngestStatus.Created, $"{r.Id}: {r.Status} {r.Message} {string.Join("; ", r.Errors)}");
    }

    public Task Period(string id, string category, string start, string end, string? decisionAt) =>
        Ok(Services.Ingestion.RecordContextPeriodAsync(new ContextPeriodInput(id, id, category, start, end, decisionAt), AnalysisHarness.Tests, default));

    public Task Document(string id, string source, string publishedAt, IReadOnlyList<string> cites, params ItemInput[] items) =>
        DocumentAs(AnalysisHarness.Tests, id, source, publishedAt, cites, items);

    public Task DocumentAs(IngestContext who, string id, string source, string publishedAt, IReadOnlyList<string> cites, params ItemInput[] items) =>
        Ok(Services.Ingestion.IngestDocumentAsync(new DocumentInput(id, source, publishedAt, id, null, [], cites, items), 1000, who, default));

    public Task Correct(string documentId, params CorrectionItemInput[] items) =>
        Ok(Services.Ingestion.CorrectAsync(documentId, new CorrectionInput("test correction", items), AnalysisHarness.Tests, default));

    public static ItemInput Item(string id, string type, string claim, IReadOnlyDictionary<string, string> ratings, string? occurredAt = null,
        IReadOnlyList<string>? rebuts = null, int credibility = 3) =>
        new(id, Topic, type, claim, $"summary of {id}", null, null, occurredAt, credibility, ratings, rebuts ?? [], null);

    public Task<(long Relay, long Head, long Pending)> RelayStateAsync() => Analysis.RelayStateAsync();

    public Task SettleAsync(int seconds = 30) => Analysis.SettleHandlersAsync(seconds);

    /// <summary>Polls until <paramref name="done"/> holds.</summary>
    public static async Task Eventually(Func<Task<bool>> done, string what, int seconds = 30)
    {
        var until = DateTime.UtcNow.AddSeconds(seconds);
        while (!await done())
        {
            if (DateTime.UtcNow > until) throw new TimeoutException($"Not within {seconds}s: {what}");
            await Task.Delay(50);
        }
    }

    public sealed record Appended<T>(StoredEvent Stored, T Data, EventMetadata Metadata);

    /// <summary>
    /// Every event of type <typeparamref name="T"/> in the log, in the order of their triggers (the event named by
    /// their causation id; their own position for events without one). Each reaction has a durable local queue that
    /// Wolverine works through in parallel, so reactions to two triggers may append in either order; what each decides
    /// depends only on the log up to its trigger.
    /// </summary>
    public async Task<IReadOnlyList<Appended<T>>> EventsAsync<T>() where T : class
    {
        var all = await Analysis.ReadAllAsync();
        var positions = all.ToDictionary(e => e.EventId.ToString(), e => e.Position, StringComparer.Ordinal);
        return [.. all
            .Select(e => (Stored: e, Data: Services.Log.Deserialize(e)))
            .Where(x => x.Data is T)
            .OrderBy(x => x.Stored.Metadata.CausationId is { } c && positions.TryGetValue(c, out var p) ? p : x.Stored.Position)
            .ThenBy(x => x.Stored.Position)
            .Select(x => new Appended<T>(x.Stored, (T)x.Data!, x.Stored.Metadata))];
    }

    /// <summary>The event id of the log event of type <typeparamref name="T"/> that matches, for causation checks.</summary>
    public async Task<string> EventIdOf<T>(Func<T, bool> match) where T : class =>
        (await EventsAsync<T>()).Single(e => match(e.Data)).Stored.EventId.ToString();

    /// <summary>The alerts this host delivered (out of Wolverine's outbox, through the alert handler).</summary>
    public IReadOnlyList<Alert> Alerts() => [.. Services.Alerts.ReadSince(0, 1000).Select(f => f.Payload)];

    public async ValueTask DisposeAsync() => await Analysis.DisposeAsync();
}
