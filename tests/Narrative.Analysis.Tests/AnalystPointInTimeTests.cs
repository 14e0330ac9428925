using Narrative.Analysis.Audit;
using Narrative.Analysis.Ingestion;
using Narrative.Analysis.Reactions;
using Narrative.Domain.Analysts;
using Narrative.Domain.Assessment;
using Narrative.Domain.Replay;
using Narrative.Testing;

namespace Narrative.Analysis.Tests;

/// <summary>
/// Several analysts on the seeded topic: the read model's analyst, consensus and disagreement answers against the replay
/// of the log for random (asOf, knownAt) pairs, before and after a rebuild; and the divergence alert.
/// </summary>
[Collection(PostgresCollection.Name)]
public sealed class AnalystPointInTimeTests(PostgresFixture pg) : IAsyncLifetime
{
    private const string Topic = "putin-ceasefire-stance";
    private static readonly string[] Analysts = ["alice", "bob", "carol"];
    private static readonly string[] Scale = ["CC", "C", "N", "I", "II", "NA"];
    private AnalysisHarness _h = null!;

    public async Task InitializeAsync()
    {
        _h = await AnalysisHarness.StartAsync(pg);
        await _h.IngestSeedsAsync();
        foreach (var a in Analysts)
            Assert.Equal(Narrative.Analysis.Analysts.AnalystOutcome.Created,
                (await _h.Services.Analysts.RegisterAsync(new AnalystInput(a, a.ToUpperInvariant()), AnalysisHarness.Tests, default)).Outcome);
        await _h.CatchUpAsync();
    }

    public async Task DisposeAsync() => await _h.DisposeAsync();

    private async Task<(IReadOnlyList<string> Claims, IReadOnlyList<string> Hypotheses)> TopicAsync()
    {
        var a = (await _h.Services.Queries.AssessAsync(Topic, DateTimeOffset.UtcNow, DateTimeOffset.UtcNow, default))!;
        return ([.. a.Evidence.Select(e => e.Claim).Distinct()], [.. a.Hypotheses.Select(h => h.Id).Order()]);
    }

    private Task<IngestResult> Rate(string analyst, params (string Claim, Dictionary<string, string> Ratings, int? Credibility)[] ratings) =>
        _h.Services.Analysts.RecordRatingsAsync(analyst, Topic,
            new RatingsInput([.. ratings.Select(r => new RatingInput(r.Claim, r.Ratings.ToDictionary(kv => kv.Key, kv => (string?)kv.Value), r.Credibility, null))]),
            new IngestContext($"analyst:{analyst}", "tests"), default);

    [Fact]
    public async Task analyst_consensus_and_disagreement_answers_equal_the_replay_for_random_as_of_and_known_at_pairs_and_after_a_rebuild()
    {
        var (claims, hypotheses) = await TopicAsync();
        var rng = new Random(16);
        var marks = new List<DateTimeOffset> { DateTimeOffset.UtcNow };
        // Rounds of ratings by random analysts, re-rating claims already rated: each round a new system time.
        for (var round = 0; round < 10; round++)
        {
            var analyst = Analysts[rng.Next(Analysts.Length)];
            var picked = claims.OrderBy(_ => rng.Next()).Take(rng.Next(1, 6)).ToList();
            var r = await Rate(analyst, [.. picked.Select(c => (c,
                hypotheses.Where(_ => rng.Next(3) > 0).DefaultIfEmpty(hypotheses[0]).ToDictionary(h => h, _ => Scale[rng.Next(Scale.Length)]),
                rng.Next(3) == 0 ? (int?)rng.Next(1, 7) : null))]);
            Assert.Equal(IngestStatus.Created, r.Status);
            marks.Add(DateTimeOffset.UtcNow);
        }
        await _h.CatchUpAsync();
        var world = await _h.ReplayAsync();
        Assert.True(world.RatingsOf(Topic).Count >= 10);
        var uncached = new Queries.AnalysisQueries(_h.Services.DataSource, cachedTopics: 0);
        var pairs = Enumerable.Range(0, 40).Select(_ => (
            AsOf: WorldQueries.EndOfDay(new DateOnly(2023, 11, 1).AddDays(rng.Next(0, 240))),
            KnownAt: marks[rng.Next(marks.Count)].AddMilliseconds(rng.Next(-5, 5)))).ToList();

        async Task CompareAsync(string when)
        {
            var differing = 0;
            foreach (var (asOf, knownAt) in pairs)
            {
                var at = $"{when}: asOf={asOf:O} knownAt={knownAt:O}";
                foreach (var lens in Analysts.Select(RatingsLens.Of).Append(RatingsLens.Consensus))
                {
                    var replay = WorldQueries.Assess(world, Topic, asOf, knownAt, lens);
                    Assert.True(AuditService.Same(await _h.Services.Queries.AssessAsync(Topic, asOf, knownAt, lens, ScoringRules.Default, default), replay), $"{lens.Label} {at}");
                    Assert.True(AuditService.Same(await uncached.AssessAsync(Topic, asOf, knownAt, lens, ScoringRules.Default, default), replay), $"uncached {lens.Label} {at}");
                    if (!AuditService.Same(replay!.Hypotheses, WorldQueries.Assess(world, Topic, asOf, knownAt)!.Hypotheses)) differing++;
                }
                var disagreement = WorldQueries.Disagreement(world, Topic, asOf, knownAt);
                Assert.True(AuditService.Same(await _h.Services.Queries.DisagreementAsync(Topic, asOf, knownAt, default), disagreement), $"disagreement {at}");
                Assert.True(AuditService.Same(await uncached.DisagreementAsync(Topic, asOf, knownAt, default), disagreement), $"uncached disagreement {at}");
            }
            // The analysts' ratings did move scores at some of the pairs: the comparison was not between document views only.
            Assert.True(differing > 0);
        }

        await CompareAsync("incremental");
        await _h.RebuildAsync(_h.Services.Projection, batchSize: 7);
        await CompareAsync("rebuilt");
    }

    [Fact]
    public async Task an_analyst_whose_new_ratings_lead_elsewhere_than_the_consensus_raises_an_alert_naming_both_hypotheses()
    {
        var (claims, hypotheses) = await TopicAsync();
        var world0 = await _h.ReplayAsync();
        var leader = WorldQueries.Assess(world0, Topic, DateTimeOffset.UtcNow, DateTimeOffset.MaxValue)!.Leading!;
        var other = hypotheses.First(h => h != leader);
        // Two analysts agree with the documents' leader; then alice rates every claim against it.
        foreach (var a in new[] { "bob", "carol" })
            Assert.Equal(IngestStatus.Created, (await Rate(a, [.. claims.Select(c => (c, new Dictionary<string, string> { [leader] = "C", [other] = "II" }, (int?)null))])).Status);
        Assert.Equal(IngestStatus.Created, (await Rate("alice", [.. claims.Select(c => (c, new Dictionary<string, string> { [leader] = "II", [other] = "CC" }, (int?)null))])).Status);
        await _h.SettleHandlersAsync();

        var world = await _h.ReplayAsync();
        var team = WorldQueries.Assess(world, Topic, DateTimeOffset.UtcNow, DateTimeOffset.MaxValue, RatingsLens.Consensus)!.Leading;
        var mine = WorldQueries.Assess(world, Topic, DateTimeOffset.UtcNow, DateTimeOffset.MaxValue, RatingsLens.Of("alice"))!.Leading;
        Assert.Equal(leader, team);
        Assert.NotEqual(team, mine);
        var alerts = _h.Services.Alerts.ReadSince(0, 1000).Select(f => f.Payload).Where(x => x.Kind == AnalystDivergence.AlertKind).ToList();
        var alert = Assert.Single(alerts, x => x.Analyst == "alice");
        Assert.Equal((Topic, team, mine), (alert.Topic, alert.From, alert.To));
        Assert.Contains("alice", alert.Summary);
        Assert.DoesNotContain(alerts, x => x.Analyst is "bob" or "carol" && x.From == x.To);
    }
}
