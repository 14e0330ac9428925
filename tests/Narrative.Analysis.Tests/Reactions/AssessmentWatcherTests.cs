using Narrative.Analysis.Reactions;
using Narrative.Domain.Corpus;
using Narrative.Domain;
using Narrative.Testing;
using static Narrative.Analysis.Tests.Reactions.ReactionsHarness;

namespace Narrative.Analysis.Tests.Reactions;

[Collection(PostgresCollection.Name)]
public sealed class AssessmentWatcherTests(PostgresFixture pg)
{
    private static readonly Dictionary<string, string> Genuine = new() { ["genuine"] = "C", ["feigned"] = "I", ["maximalist"] = "II" };
    private static readonly Dictionary<string, string> Feigned = new() { ["genuine"] = "II", ["feigned"] = "C", ["maximalist"] = "I" };
    private static readonly Dictionary<string, string> Neutral = new() { ["genuine"] = "N", ["feigned"] = "N", ["maximalist"] = "N" };

    [Fact]
    public async Task a_correction_that_changes_the_leader_records_one_shift_and_one_alert_and_one_that_does_not_records_none()
    {
        await using var h = await StartAsync(pg);
        await h.Document("first-doc", "origin", "2024-02-01", [], Item("x", "report", "claim-x", Genuine), Item("x2", "report", "claim-x2", Neutral));
        await h.SettleAsync();
        // The first evidence establishes a leader: recorded from null, but no alert.
        var established = Assert.Single(await h.EventsAsync<LeadingHypothesisShifted>());
        Assert.Equal((null, "genuine"), (established.Data.From, established.Data.To));
        Assert.Equal(["x", "x2"], established.Data.Causes);
        Assert.Empty(h.Alerts());

        await h.Document("neutral-doc", "outlet", "2024-02-02", [], Item("y", "report", "claim-y", Neutral));
        await h.Correct("first-doc", new CorrectionItemInput("x", Feigned, null, null));
        await h.Correct("first-doc", new CorrectionItemInput("x", null, 2, null));
        await h.SettleAsync();

        var shifts = await h.EventsAsync<LeadingHypothesisShifted>();
        Assert.Equal(2, shifts.Count);
        var shift = shifts[1];
        var today = DateOnly.FromDateTime(DateTime.UtcNow);
        Assert.Equal(("genuine", "feigned", "topic-stance"), (shift.Data.From, shift.Data.To, shift.Stored.StreamId));
        Assert.Equal(["x"], shift.Data.Causes);
        Assert.True(shift.Data.AsOf >= today.AddDays(-1) && shift.Data.AsOf <= today);
        var rerated = (await h.EventsAsync<ItemRerated>()).First();
        Assert.Equal(rerated.Stored.EventId.ToString(), shift.Metadata.CausationId);

        var alert = Assert.Single(h.Alerts());
        Assert.Equal(AssessmentWatcher.AlertKind, alert.Kind);
        Assert.Equal(("stance", "genuine", "feigned", "Feigned"), (alert.Topic, alert.From, alert.To, alert.ToLabel));
        Assert.Equal(["x"], alert.Causes);
        Assert.Equal(rerated.Stored.EventId.ToString(), alert.CausationId);
    }

    [Fact]
    public async Task a_retraction_that_removes_the_leaders_support_shifts_it_back()
    {
        await using var h = await StartAsync(pg);
        await h.Document("a-doc", "origin", "2024-02-01", [], Item("a", "report", "claim-a", Genuine));
        await h.Document("b-doc", "outlet", "2024-02-03", [], Item("b", "report", "claim-b", Feigned), Item("b2", "report", "claim-b2", Feigned));
        await h.Correct("b-doc", new CorrectionItemInput("b", null, null, true), new CorrectionItemInput("b2", null, null, true));
        await h.SettleAsync();

        var shifts = (await h.EventsAsync<LeadingHypothesisShifted>()).Select(s => (s.Data.From, s.Data.To, string.Join(",", s.Data.Causes))).ToList();
        Assert.Equal([(null, "genuine", "a"), ("genuine", "feigned", "b,b2"), ("feigned", "genuine", "b,b2")], shifts);
        Assert.Equal(2, h.Alerts().Count);
    }
}
