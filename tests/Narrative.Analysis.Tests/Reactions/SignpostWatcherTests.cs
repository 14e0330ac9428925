using Narrative.Analysis.Reactions;
using Narrative.Domain;
using Narrative.Domain.Corpus;
using Narrative.Domain.Replay;
using Narrative.Testing;
using static Narrative.Analysis.Tests.Reactions.ReactionsHarness;

namespace Narrative.Analysis.Tests.Reactions;

[Collection(PostgresCollection.Name)]
public sealed class SignpostWatcherTests(PostgresFixture pg)
{
    private static SignpostInput Signpost(string id, string expect, string from, string deadline, string type = "signal") =>
        new(id, "feigned", $"{id}: a signal around the next decision", expect, new SignpostMatchInput([type], null, null), from, deadline);

    [Fact]
    public async Task a_newly_posted_document_that_matches_a_signpost_records_the_match_with_its_cause_and_raises_an_alert()
    {
        await using var h = await StartAsync(pg);
        await h.Ok(h.Services.Ingestion.SetSignpostAsync(Topic, Signpost("recur", "present", "2024-04-25", "2024-07-01"), AnalysisHarness.Tests, default));
        await h.Ok(h.Services.Ingestion.SetSignpostAsync(Topic, Signpost("quiet", "absent", "2024-04-25", "2024-07-01"), AnalysisHarness.Tests, default));
        await h.Document("early", "origin", "2024-04-01", [], Item("early-signal", "signal", "c-early", Open));
        await h.Document("may", "outlet", "2024-05-24", [], Item("may-signal", "signal", "c-may", Open), Item("may-report", "report", "c-report", Open));
        await h.SettleAsync();

        var matches = await h.EventsAsync<SignpostMatched>();
        // Only the May signal is of the type and inside the window; it bears out "recur" and fails "quiet".
        Assert.Equal([("quiet", "may-signal", true), ("recur", "may-signal", false)],
            matches.Select(m => (m.Data.SignpostId, m.Data.ItemId, m.Data.Failed)).OrderBy(x => x.SignpostId, StringComparer.Ordinal));
        var cause = await h.EventIdOf<ItemRecorded>(i => i.ItemId == "may-signal");
        Assert.All(matches, m => Assert.Equal(cause, m.Metadata.CausationId));
        Assert.All(matches, m => Assert.StartsWith("signpost-stance-", m.Stored.StreamId, StringComparison.Ordinal));
        await Eventually(() => Task.FromResult(h.Alerts().Count(a => a.Kind == SignpostWatcher.MatchedAlertKind) == 2), "two signpost alerts");
        Assert.Contains(h.Alerts(), a => a.Signpost == "quiet" && a.Summary!.Contains("failed", StringComparison.Ordinal));

        await h.Analysis.CatchUpAsync();
        var status = (await h.Services.Queries.SignpostsAsync(Topic, WorldQueries.EndOfDay(new DateOnly(2024, 5, 31)), DateTimeOffset.UtcNow, default))!;
        Assert.Equal([("quiet", "matched", "failed"), ("recur", "matched", "borne-out")],
            status.Signposts.Select(s => (s.Id, s.Status, s.Outcome)).OrderBy(x => x.Id, StringComparer.Ordinal));
        var before = (await h.Services.Queries.SignpostsAsync(Topic, WorldQueries.EndOfDay(new DateOnly(2024, 5, 23)), DateTimeOffset.UtcNow, default))!;
        Assert.All(before.Signposts, s => Assert.Equal("open", s.Status));
    }

    [Fact]
    public async Task a_signpost_expires_when_a_later_item_passes_its_deadline_and_on_the_daily_timer()
    {
        await using var h = await StartAsync(pg);
        await h.Ok(h.Services.Ingestion.SetSignpostAsync(Topic, Signpost("by-march", "present", "2024-01-01", "2024-03-01"), AnalysisHarness.Tests, default));
        await h.Ok(h.Services.Ingestion.SetSignpostAsync(Topic, Signpost("by-december", "present", "2024-01-01", "2024-12-01"), AnalysisHarness.Tests, default));
        // A report (not a signal) published after the first deadline: world time has passed it, with no match.
        await h.Document("april", "origin", "2024-04-02", [], Item("april-report", "report", "c-april", Open));
        await h.SettleAsync();

        var expired = Assert.Single(await h.EventsAsync<SignpostExpired>());
        Assert.Equal(("by-march", new DateOnly(2024, 3, 1), new DateOnly(2024, 4, 2), true),
            (expired.Data.SignpostId, expired.Data.Deadline, expired.Data.ObservedAt, expired.Data.Failed));
        Assert.Equal(await h.EventIdOf<ItemRecorded>(i => i.ItemId == "april-report"), expired.Metadata.CausationId);
        await Eventually(() => Task.FromResult(h.Alerts().Any(a => a.Kind == SignpostWatcher.ExpiredAlertKind && a.Signpost == "by-march")), "expiry alert");

        // The daily timer: on 2 December 2024 the second deadline has passed; the first is not expired twice.
        var alerts = await SignpostClock.ExpireDueAsync(h.Services.Log, new DateOnly(2024, 12, 2), default);
        Assert.Equal(["by-december"], alerts.Select(a => a.Signpost));
        Assert.Empty(await SignpostClock.ExpireDueAsync(h.Services.Log, new DateOnly(2024, 12, 3), default));
        var both = await h.EventsAsync<SignpostExpired>();
        Assert.Equal(["by-december", "by-march"], both.Select(e => e.Data.SignpostId).Order(StringComparer.Ordinal));
        Assert.Equal(await h.EventIdOf<SignpostSet>(s => s.SignpostId == "by-december"), both.Single(e => e.Data.SignpostId == "by-december").Metadata.CausationId);
    }

    [Fact]
    public async Task the_daily_timer_records_the_match_of_a_held_item_whose_watcher_has_not_run_instead_of_an_expiry()
    {
        await using var h = await StartAsync(pg);
        await h.Ok(h.Services.Ingestion.SetSignpostAsync(Topic, Signpost("by-march", "present", "2024-01-01", "2024-03-01"), AnalysisHarness.Tests, default));
        await h.SettleAsync();
        // The timer runs as soon as the matching item is in the log, before its watcher can have handled it (as when a
        // CLI process stops before its handlers, and the next process starts its timer first).
        await h.Document("feb", "origin", "2024-02-01", [], Item("feb-signal", "signal", "c-feb", Open));
        var alerts = await SignpostClock.ExpireDueAsync(h.Services.Log, new DateOnly(2024, 12, 2), default);
        await h.SettleAsync();

        Assert.All(alerts, a => Assert.Equal(SignpostWatcher.MatchedAlertKind, a.Kind));
        Assert.Empty(await h.EventsAsync<SignpostExpired>());
        var match = Assert.Single(await h.EventsAsync<SignpostMatched>());
        Assert.Equal(("by-march", "feb-signal", false), (match.Data.SignpostId, match.Data.ItemId, match.Data.Failed));
    }
}
