using Narrative.Analysis.Alerts;
using Narrative.Analysis.Ingestion;
using Narrative.Domain.Corpus;
using Microsoft.Extensions.DependencyInjection;
using Narrative.Storage;

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

    /// <summary>Where the relay is, the log's head, and how many handler messages Wolverine still holds in its inbox.</summary>
    public async Task<(long Relay, long Head, long Pending)> RelayStateAsync()
    {
        await using var cmd = Services.DataSource.CreateCommand($"""
            select (select coalesce(max(last_seq_id), -1) from {EventStoreSetup.Schema}.mt_event_progression where name = $1),
                   (select coalesce(max(seq_id), 0) from {EventStoreSetup.Schema}.mt_events),
                   (select count(*) from wolverine.wolverine_incoming_envelopes where status <> 'Handled')
            """);
        cmd.Parameters.Add(new() { Value = RelayShard });
        await using var r = await cmd.ExecuteReaderAsync();
        await r.ReadAsync();
        return (r.GetInt64(0), r.GetInt64(1), r.GetInt64(2));
    }

    /// <summary>
    /// Waits until the relay has passed the head of the log (including what reactions appended) and Wolverine's inbox
    /// holds nothing unhandled (messages waiting for a retry count as unhandled; dead letters do not), twice in a row.
    /// </summary>
    public async Task SettleAsync(int seconds = 30)
    {
        var until = DateTime.UtcNow.AddSeconds(seconds);
        var quiet = 0;
        while (true)
        {
            var (relay, head, pending) = await RelayStateAsync();
            quiet = relay >= head && pending == 0 ? quiet + 1 : 0;
            if (quiet == 2) return;
            if (DateTime.UtcNow > until)
                throw new TimeoutException($"Handlers did not settle in {seconds}s: relay at {relay}, head {head}, {pending} messages pending");
            await Task.Delay(50);
        }
    }

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

    /// <summary>Every event of type <typeparamref name="T"/> in the log, in order.</summary>
    public async Task<IReadOnlyList<Appended<T>>> EventsAsync<T>() where T : class =>
        [.. (await Analysis.ReadAllAsync())
            .Select(e => (Stored: e, Data: Services.Log.Deserialize(e)))
            .Where(x => x.Data is T)
            .Select(x => new Appended<T>(x.Stored, (T)x.Data!, x.Stored.Metadata))];

    /// <summary>The event id of the log event of type <typeparamref name="T"/> that matches, for causation checks.</summary>
    public async Task<string> EventIdOf<T>(Func<T, bool> match) where T : class =>
        (await EventsAsync<T>()).Single(e => match(e.Data)).Stored.EventId.ToString();

    /// <summary>The alerts this host delivered (out of Wolverine's outbox, through the alert handler).</summary>
    public IReadOnlyList<Alert> Alerts() => [.. Services.Alerts.ReadSince(0, 1000).Select(f => f.Payload)];

    public async ValueTask DisposeAsync() => await Analysis.DisposeAsync();
}
