using Narrative.Analysis.Reactions;
using Narrative.Analysis.Ingestion;
using Narrative.Domain;
using Narrative.Testing;
using Xunit.Abstractions;

namespace Narrative.Analysis.Tests.Reactions;

[Collection(PostgresCollection.Name)]
public sealed class SeedReactionsTests(PostgresFixture pg, ITestOutputHelper output)
{
    [Fact]
    public async Task the_seed_corpus_flows_through_all_four_reactions_without_dead_letters()
    {
        await using var h = await ReactionsHarness.StartAsync(pg, withTopic: false);
        var outcomes = await h.Analysis.IngestSeedsAsync();
        Assert.All(outcomes, o => Assert.Equal(IngestStatus.Created, o.Result.Status));
        await h.SettleAsync(60);

        var (relay, head, pending) = await h.RelayStateAsync();
        Assert.True(relay >= head && pending == 0, $"relay {relay}, head {head}, pending {pending}");
        Assert.Empty(await h.Services.DeadLetters.ListAsync(default));

        var coincidences = await h.EventsAsync<CoincidenceFlagged>();
        var links = await h.EventsAsync<AppearanceLinked>();
        var contested = await h.EventsAsync<ItemContested>();
        var contradictions = await h.EventsAsync<ContradictionFlagged>();
        var shifts = await h.EventsAsync<LeadingHypothesisShifted>();
        var alerts = h.Alerts();
        output.WriteLine($"coincidence {coincidences.Count}, links {links.Count} ({links.Count(l => l.Data.Derivative)} derivative), " +
            $"contested {contested.Count}, contradictions {contradictions.Count}, shifts {shifts.Count}, alerts {alerts.Count}");
        foreach (var c in coincidences) output.WriteLine($"  coincidence {c.Data.ItemId} {c.Data.PublishedAt} [{string.Join(",", c.Data.Periods)}] {c.Data.DaysToDecision}");
        foreach (var l in links) output.WriteLine($"  link {l.Data.Claim} {l.Data.ItemId} derivative={l.Data.Derivative} from={l.Data.DerivedFrom}");
        foreach (var c in contested) output.WriteLine($"  contested {c.Data.ItemId} by {c.Data.ByItemId} as of {c.Data.AsOf}");
        foreach (var c in contradictions) output.WriteLine($"  contradiction {c.Data.SignalItemId} / {c.Data.StatementItemId} {c.Data.DaysApart}d");
        foreach (var s in shifts) output.WriteLine($"  shift {s.Data.From} -> {s.Data.To} as of {s.Data.AsOf} by {string.Join(",", s.Data.Causes)}");

        // docs/design.md's coincidence example: the NYT signal of 2023-12-23 lies in the US supplemental debate, 123 days before signing.
        var nyt = Assert.Single(coincidences, c => c.Data.ItemId == "nyt-2023-12-23-backchannel");
        Assert.Equal(["us-supplemental-2023-24"], nyt.Data.Periods);
        Assert.Equal(123, nyt.Data.DaysToDecision);
        Assert.Contains(links, l => l.Data.ItemId == "mt-2023-12-23-backchannel" && l.Data.DerivedFrom == "nyt-2023-12-23-putin-signals");
        Assert.Contains(contested, c => c.Data.ItemId == "nyt-2023-12-23-backchannel" && c.Data.ByItemId == "nyt-2023-12-23-us-officials-doubt");
        Assert.Contains(contradictions, c => c.Data.SignalItemId == "rferl-2024-02-02-signals-reported" && c.Data.StatementItemId == "rferl-2024-02-02-buffer-zone");
        // README: feigned leads throughout, so the watcher only establishes the leader once (the first document, all-neutral
        // ratings, already ties to feigned by the ordinal tie-break, as the assessment query says).
        var established = Assert.Single(shifts);
        Assert.Equal((null, "feigned"), (established.Data.From, established.Data.To));
        Assert.DoesNotContain(alerts, a => a.Kind == AssessmentWatcher.AlertKind);
        // The timing alerts: Bloomberg's signal of 25 January came 7 days before the EU summit of 1 February, Reuters'
        // of 24 May 6 days before the strike decision of 30 May; the NYT's of 23 December is 40 days from the next one.
        var timing = alerts.Where(a => a.Kind == CoincidenceDetector.TimingAlertKind).ToDictionary(a => a.Timing!.ItemId, a => a.Timing!);
        Assert.Equal(("eu-ukraine-facility-2024-02-01", 7), (timing["bbg-2024-01-25-feelers"].Milestone, timing["bbg-2024-01-25-feelers"].DaysBefore));
        Assert.Equal(("strike-restrictions-debate-2024-05", 6),
            (timing["reuters-2024-05-24-ceasefire-current-lines"].Milestone, timing["reuters-2024-05-24-ceasefire-current-lines"].DaysBefore));
        Assert.DoesNotContain("nyt-2023-12-23-backchannel", timing.Keys);
    }
}
