using System.Text.Json;
using Narrative.Analysis.Ingestion;
using Narrative.Analysis.Reactions;
using Narrative.Domain.Corpus;
using Narrative.Storage;
using Narrative.Storage.Handlers;
using Narrative.Storage.Outbox;
using Narrative.Storage.Subscriptions;
using Narrative.Testing;

namespace Narrative.Analysis.Tests.Reactions;

/// <summary>A fresh database with the four reactions running off their durable subscriptions, plus input builders.</summary>
public sealed class ReactionsHarness : IAsyncDisposable
{
    public const string Topic = "stance";
    public static readonly Dictionary<string, string> Open = new() { ["genuine"] = "C", ["feigned"] = "C", ["maximalist"] = "I" };
    public static readonly Dictionary<string, string> Closed = new() { ["genuine"] = "I", ["feigned"] = "C", ["maximalist"] = "C" };

    private CancellationTokenSource _stop = new();
    private Task _reactions = Task.CompletedTask;

    public AnalysisHarness Analysis { get; private set; } = null!;
    public NarrativeServices Services => Analysis.Services;
    public HandlerRegistry Registry { get; } = NarrativeReactions.Register(new HandlerRegistry());

    public static async Task<ReactionsHarness> StartAsync(PostgresFixture pg, bool withTopic = true)
    {
        var h = new ReactionsHarness { Analysis = await AnalysisHarness.StartAsync(pg, daemon: false) };
        h.RunReactions();
        if (withTopic)
        {
            await h.Ok(h.Services.Ingestion.OpenTopicAsync(new TopicInput(Topic, "Stance", new PeriodInput("2024-01-01", "2024-12-31"),
                [new("genuine", "Genuine", null), new("feigned", "Feigned", null), new("maximalist", "Maximalist", null)]), AnalysisHarness.Tests, default));
            foreach (var s in new[] { "origin", "outlet", "other", "think" })
                await h.Ok(h.Services.Ingestion.RegisterSourceAsync(new SourceInput(s, s, "news", "B", null), AnalysisHarness.Tests, default));
        }
        return h;
    }

    private void RunReactions()
    {
        var subscriptions = Registry.CreateSubscriptions(Services.Store.Types, new HandlerOptions
        {
            RetryBaseDelay = TimeSpan.FromMilliseconds(10), RetryMaxDelay = TimeSpan.FromMilliseconds(50),
        });
        _reactions = new SubscriptionDaemon(Services.Store, subscriptions,
            new SubscriptionOptions { PollInterval = TimeSpan.FromMilliseconds(50), BatchSize = 50, MaxBackoff = TimeSpan.FromMilliseconds(300) })
            .RunAsync(_stop.Token);
    }

    /// <summary>
    /// Stops the reactions, forgets that they handled anything (inbox rows, checkpoints), and starts them again: every
    /// event is delivered a second time, as after a lost inbox.
    /// </summary>
    public async Task RedeliverEverythingAsync()
    {
        await _stop.CancelAsync();
        await _reactions;
        _stop.Dispose();
        await using (var cmd = Services.DataSource.CreateCommand("""
            delete from handler_inbox where handler like 'reaction.%';
            update checkpoints set position = 0, tx_id = 0 where name like 'reaction.%';
            """))
            await cmd.ExecuteNonQueryAsync();
        _stop = new CancellationTokenSource();
        RunReactions();
    }

    public async Task Ok(Task<IngestResult> ingest)
    {
        var r = await ingest;
        Assert.True(r.Status == IngestStatus.Created, $"{r.Id}: {r.Status} {r.Message} {string.Join("; ", r.Errors)}");
    }

    public Task Period(string id, string category, string start, string end, string? decisionAt) =>
        Ok(Services.Ingestion.RecordContextPeriodAsync(new ContextPeriodInput(id, id, category, start, end, decisionAt), AnalysisHarness.Tests, default));

    public Task Document(string id, string source, string publishedAt, IReadOnlyList<string> cites, params ItemInput[] items) =>
        Ok(Services.Ingestion.IngestDocumentAsync(new DocumentInput(id, source, publishedAt, id, null, [], cites, items), 1000, AnalysisHarness.Tests, default));

    public Task Correct(string documentId, params CorrectionItemInput[] items) =>
        Ok(Services.Ingestion.CorrectAsync(documentId, new CorrectionInput("test correction", items), AnalysisHarness.Tests, default));

    public static ItemInput Item(string id, string type, string claim, IReadOnlyDictionary<string, string> ratings, string? occurredAt = null,
        IReadOnlyList<string>? rebuts = null, int credibility = 3) =>
        new(id, Topic, type, claim, $"summary of {id}", null, null, occurredAt, credibility, ratings, rebuts ?? [], null);

    /// <summary>Waits until every reaction has handled everything in the log, including what reactions appended.</summary>
    public async Task SettleAsync(int seconds = 30)
    {
        var until = DateTime.UtcNow.AddSeconds(seconds);
        while (true)
        {
            var status = await HandlerStatusQuery.ReadAsync(Services.DataSource, default, Registry);
            if (status.Count == NarrativeReactions.Names.Count && status.All(s => s.Lag == 0 && s.State == "running")) return;
            if (DateTime.UtcNow > until)
                throw new TimeoutException(string.Join(", ", status.Select(s => $"{s.Name} {s.State} lag {s.Lag} {s.LastError}")));
            await Task.Delay(25);
        }
    }

    public sealed record Appended<T>(StoredEvent Stored, T Data, EventMetadata Metadata);

    /// <summary>Every event of type <typeparamref name="T"/> in the log, in order.</summary>
    public async Task<IReadOnlyList<Appended<T>>> EventsAsync<T>() where T : class
    {
        var list = new List<Appended<T>>();
        var cursor = GlobalCursor.Start;
        while (true)
        {
            var page = await Services.Store.ReadAllAsync(cursor, 1000, default);
            if (page.Count == 0) return list;
            foreach (var e in page)
                if (Services.Store.Types.Deserialize(e) is T data) list.Add(new(e, data, Services.Store.Types.ReadMetadata(e)));
            cursor = page[^1].Cursor;
        }
    }

    /// <summary>The event id of the log event of type <typeparamref name="T"/> that matches, for causation checks.</summary>
    public async Task<string> EventIdOf<T>(Func<T, bool> match) where T : class =>
        (await EventsAsync<T>()).Single(e => match(e.Data)).Stored.EventId.ToString();

    public async Task<IReadOnlyList<JsonElement>> AlertsAsync() =>
        [.. (await new OutboxFeed(Services.DataSource).ReadSinceAsync(0, default, kind: "alert", limit: 1000))
            .Select(m => JsonDocument.Parse(m.PayloadJson).RootElement.Clone())];

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _reactions;
        _stop.Dispose();
        await Analysis.DisposeAsync();
    }
}
