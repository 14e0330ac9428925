using System.Text.Json;
using Narrative.Analysis.Ingestion;
using Narrative.Domain.Replay;
using Narrative.Testing;

namespace Narrative.Analysis.Tests;

/// <summary>The seeded corpus, ingested as ./ops/run does, and the answers analysts will check by hand.</summary>
[Collection(PostgresCollection.Name)]
public sealed class SeedCorpusTests(PostgresFixture pg) : IAsyncLifetime
{
    private const string Topic = "putin-ceasefire-stance";
    private const string Claim = "putin-private-openness-to-freeze";
    private AnalysisHarness _h = null!;

    public async Task InitializeAsync()
    {
        _h = await AnalysisHarness.StartAsync(pg);
        var outcomes = await _h.IngestSeedsAsync();
        Assert.All(outcomes, o => Assert.True(o.Result.Status == IngestStatus.Created, $"{o.Entry.File}: {o.Result.Status} {string.Join("; ", o.Result.Errors)}"));
        await _h.CatchUpAsync();
    }

    public async Task DisposeAsync() => await _h.DisposeAsync();

    private static DateTimeOffset Day(string d) => WorldQueries.EndOfDay(DateOnly.Parse(d, System.Globalization.CultureInfo.InvariantCulture));

    [Fact]
    public async Task the_whole_corpus_validates_and_a_second_ingest_writes_nothing()
    {
        // The reactions append to the log too: let them finish first.
        await _h.SettleHandlersAsync();
        var before = await _h.Services.Log.HeadAsync(default);
        var again = await _h.IngestSeedsAsync();
        await _h.SettleHandlersAsync();
        var after = await _h.Services.Log.HeadAsync(default);

        Assert.All(again, o => Assert.Equal(IngestStatus.Unchanged, o.Result.Status));
        Assert.Equal(before, after);
        Assert.True(again.Count(o => o.Entry.Kind == CorpusKind.Document) >= 8);
        Assert.All(CorpusIngestor.ValidateOffline(CorpusFiles.Load([ApiServer.SeedsFolder()]), new DateOnly(2026, 1, 1)),
            o => Assert.Empty(o.Result.Errors));
    }

    [Theory]
    [InlineData("2023-12-31", 1)]
    [InlineData("2024-02-29", 1)]
    [InlineData("2024-05-31", 2)]
    public async Task independent_origins_of_the_freeze_claim_grow_as_new_outlets_report_it(string asOf, int origins)
    {
        // NYT (December) and Reuters (May) report a freeze of the current lines; Bloomberg (January) and the February
        // reports carry claims of their own (seeds/README.md, "Shared claim keys").
        var p = await _h.Services.Queries.ProvenanceAsync(Claim, Day(asOf), DateTimeOffset.UtcNow, default);

        Assert.Equal(origins, p.IndependentOrigins);
        Assert.Equal("nyt-2023-12-23-putin-signals", p.FirstAppearance!.DocumentId);
        // Every re-report cites (directly or not) a document that already carried the claim.
        var reReports = p.Appearances.Where(a => a.DocumentId.StartsWith("moscow-times", StringComparison.Ordinal)
            || a.DocumentId.StartsWith("isw-", StringComparison.Ordinal) || a.DocumentId.StartsWith("rferl", StringComparison.Ordinal)).ToList();
        Assert.NotEmpty(reReports);
        Assert.All(reReports, a => Assert.True(a.Derivative && a.DerivedFrom is not null, $"{a.DocumentId} should be derivative"));
    }

    [Fact]
    public async Task rferl_relays_the_nyt_and_bloomberg_and_provenance_derives_each_relay_from_its_origin()
    {
        var freeze = await _h.Services.Queries.ProvenanceAsync(Claim, Day("2024-02-29"), DateTimeOffset.UtcNow, default);
        var talks = await _h.Services.Queries.ProvenanceAsync("putin-private-openness-to-us-talks", Day("2024-02-29"), DateTimeOffset.UtcNow, default);

        var fromNyt = Assert.Single(freeze.Appearances, a => a.DocumentId == "rferl-2024-02-02-truce-talk");
        Assert.Equal(("rferl-2024-02-02-signals-reported", "nyt-2023-12-23-putin-signals"), (fromNyt.ItemId, fromNyt.DerivedFrom));
        var fromBloomberg = Assert.Single(talks.Appearances, a => a.DocumentId == "rferl-2024-02-02-truce-talk");
        Assert.Equal(("rferl-2024-02-02-signals-reported-bloomberg", "bloomberg-2024-01-25-putin-us-signal"), (fromBloomberg.ItemId, fromBloomberg.DerivedFrom));
        Assert.Equal(1, talks.IndependentOrigins);
        Assert.Equal("bloomberg-2024-01-25-putin-us-signal", talks.FirstAppearance!.DocumentId);
    }

    [Theory]
    [InlineData("putin-peace-when-goals-achieved-2023-12-14", "rferl-2024-02-02-truce-talk")]
    [InlineData("us-sources-deny-official-russian-outreach", "isw-2024-05-24-feigned-negotiations")]
    public async Task claims_no_earlier_document_carries_are_their_reporters_own(string claim, string document)
    {
        var p = await _h.Services.Queries.ProvenanceAsync(claim, Day("2024-05-31"), DateTimeOffset.UtcNow, default);

        var only = Assert.Single(p.Appearances);
        Assert.Equal((document, false), (only.DocumentId, only.Derivative));
    }

    [Theory]
    [InlineData("2023-12-23", false)]
    [InlineData("2024-01-31", false)]
    [InlineData("2024-05-31", false)]
    [InlineData("2023-12-23", true)]
    [InlineData("2024-05-31", true)]
    public async Task the_assessment_equals_a_hand_count_over_the_corpus_files(string asOf, bool judgments)
    {
        var rules = judgments ? Narrative.Domain.Assessment.ScoringRules.WithJudgments : Narrative.Domain.Assessment.ScoringRules.Default;
        var a = (await _h.Services.Queries.AssessAsync(Topic, Day(asOf), DateTimeOffset.UtcNow, rules, default))!;
        var expected = HandCount(DateOnly.Parse(asOf, System.Globalization.CultureInfo.InvariantCulture), judgments);

        Assert.Equal(4, a.Hypotheses.Count);
        foreach (var h in a.Hypotheses)
        {
            Assert.Equal(expected[h.Id].Plain, h.Inconsistency, 9);
            Assert.Equal(expected[h.Id].Weighted, h.WeightedInconsistency, 9);
            Assert.Equal(expected[h.Id].Undisconfirmed, h.Undisconfirmed);
            Assert.Equal((1.0, true), (h.Coverage, h.CanLead));
        }
        Assert.All(a.Evidence.Where(e => e.Type == "assessment"), e => Assert.Equal(("judgments", judgments && e.Scored), (e.Lane, e.Scored)));
        var leader = expected.OrderBy(x => Math.Round(x.Value.Weighted, 9)).ThenBy(x => x.Value.Plain).ThenBy(x => x.Key, StringComparer.Ordinal).First().Key;
        Assert.Equal(leader, a.Leading);
    }

    [Fact]
    public async Task the_documented_scores_hold_at_the_three_dates_of_the_readme()
    {
        // README, "What the seeded corpus says": judgments apart, no observation contradicts feigned (0, undisconfirmed);
        // conditional is contradicted by the US officials' doubt only (I, NYT B, credibility 3: √2).
        var expected = new Dictionary<string, (double Conditional, double Maximalist, double Genuine)>
        {
            ["2023-12-23"] = (Math.Sqrt(2), 2 * Math.Sqrt(2), 2 + 2 * Math.Sqrt(2)),
            ["2024-01-31"] = (Math.Sqrt(2), 1 + 3 * Math.Sqrt(2), 2 + 3 * Math.Sqrt(2)),
            ["2024-05-31"] = (Math.Sqrt(2), 2 + 4 * Math.Sqrt(2), 8 + 7 * Math.Sqrt(2)),
        };
        foreach (var (day, e) in expected)
        {
            var a = (await _h.Services.Queries.AssessAsync(Topic, Day(day), DateTimeOffset.UtcNow, default))!;
            var feigned = a.Hypotheses.Single(h => h.Id == "feigned");
            Assert.Equal(("feigned", 0.0, true), (a.Leading, feigned.WeightedInconsistency, feigned.Undisconfirmed));
            Assert.Equal(e.Conditional, a.Hypotheses.Single(h => h.Id == "conditional").WeightedInconsistency, 6);
            Assert.Equal(e.Maximalist, a.Hypotheses.Single(h => h.Id == "maximalist").WeightedInconsistency, 6);
            Assert.Equal(e.Genuine, a.Hypotheses.Single(h => h.Id == "genuine").WeightedInconsistency, 6);
        }
    }

    [Theory]
    // asOf, likelihood, confidence, informative origins, sources, flip set (exact). Judgments apart, only observations
    // inform (ISW's December piece is judgments and relays); p recomputed from the model's README by hand: 0.49, 0.61,
    // 0.64. The flip set is the NYT alone: without it (and the ISW relay of its US officials' doubt) conditional has
    // nothing against it either, ties feigned on both scores, and nothing leads.
    [InlineData("2023-12-31", "roughly even chance", "low", 1, 1, 1)]
    [InlineData("2024-02-29", "likely", "moderate", 4, 4, 1)]
    [InlineData("2024-05-31", "likely", "moderate", 6, 6, 1)]
    public async Task the_likelihood_rests_on_independent_origins_and_the_nyt_report_alone_is_no_more_than_likely(
        string asOf, string likelihood, string confidence, int origins, int sources, int flipSet)
    {
        var a = (await _h.Services.Queries.AssessAsync(Topic, Day(asOf), DateTimeOffset.UtcNow, default))!;
        var s = (await _h.Services.Queries.SensitivityAsync(Topic, Day(asOf), DateTimeOffset.UtcNow, default))!;

        Assert.Equal(("feigned", likelihood, confidence), (a.Leading, a.Likelihood, a.Confidence));
        Assert.Equal((origins, sources, flipSet, true), (a.Basis.Origins, a.Basis.Sources, a.Basis.FlipSet, a.Basis.FlipSetExact));
        // The re-reports (Moscow Times, RFE/RL's repetition of the signals) are never origins of their own.
        Assert.DoesNotContain("moscow-times-2023-12-23-nyt-rereport", a.Basis.OriginIds);
        Assert.Equal(a.Basis.FlipSet, s.FlipSet!.Origins.Count);
        Assert.Equal(["nyt-2023-12-23-putin-signals"], s.FlipSet.Origins);
        // The one claim against conditional is the only linchpin: without it the top two tie and nothing leads.
        Assert.Equal(["us-officials-doubt-misdirection-2023-12"], s.Linchpins);
        // Nothing is held by a gate: the model's own word is at most "likely", with a lead one origin carries.
        Assert.Empty(a.Basis.HeldBy);
    }

    [Fact]
    public async Task before_any_claim_counts_against_a_hypothesis_nothing_leads()
    {
        // As of 1 Dec 2023 only the 2022 WaPo report is visible, and it rates every hypothesis N.
        var a = (await _h.Services.Queries.AssessAsync(Topic, Day("2023-12-01"), DateTimeOffset.UtcNow, default))!;
        Assert.Equal((null, "undetermined", null, "low"), (a.Leading, a.Likelihood, a.Probability, a.Confidence));
        var t = (await _h.Services.Queries.TimelineAsync(Topic, new DateOnly(2023, 12, 1), new DateOnly(2023, 12, 31), Narrative.Domain.Timeline.TimelineStep.Week,
            DateTimeOffset.UtcNow, default))!;
        Assert.All(t.Points.Where(p => p.At < new DateOnly(2023, 12, 23)), p => Assert.Equal((null, null), (p.Leading, p.Robustness)));
        Assert.All(t.Points.Where(p => p.At >= new DateOnly(2023, 12, 23)), p => Assert.Equal(("feigned", 1), (p.Leading, p.Robustness)));
    }

    [Fact]
    public async Task coincidence_of_the_seeded_signals_with_aid_debates()
    {
        var c = (await _h.Services.Queries.CoincidenceAsync(Topic, Day("2024-05-31"), DateTimeOffset.UtcNow, default))!;

        // NYT (Dec), Bloomberg (Jan), the February reports ISW mentions (their stand-in document) and Reuters (May).
        Assert.Equal(4, c.N);
        Assert.Equal(4, c.K);
        // Study period 2023-12-01..2024-05-31 is 183 days; only 2024-04-25..04-30 (6 days) lie outside every aid-debate window.
        Assert.Equal(177.0 / 183, c.Coverage, 12);
        Assert.Equal(1 / (177.0 / 183), c.Lift!.Value, 12);
        Assert.Equal(Math.Pow(177.0 / 183, 4), c.PValue, 12);
        Assert.Equal(["nyt-2023-12-23-backchannel", "bbg-2024-01-25-feelers", "wm-2024-02-settlement-interest", "reuters-2024-05-24-ceasefire-current-lines"],
            c.Signals.Select(s => s.ItemId));
        var nyt = c.Signals.Single(s => s.ItemId == "nyt-2023-12-23-backchannel");
        Assert.Equal(["us-supplemental-2023-24"], nyt.Periods);
        Assert.Equal(new DateOnly(2024, 4, 24).DayNumber - new DateOnly(2023, 12, 23).DayNumber, nyt.DaysToDecision);
        var february = c.Signals.Single(s => s.ItemId == "wm-2024-02-settlement-interest");
        Assert.Equal(["us-supplemental-2023-24"], february.Periods);
        Assert.Equal(new DateOnly(2024, 4, 24).DayNumber - new DateOnly(2024, 2, 29).DayNumber, february.DaysToDecision);

        // Up to the end of February every day of the period lies in the US supplemental window: coverage 1, lift 1, p 1.
        var feb = (await _h.Services.Queries.CoincidenceAsync(Topic, Day("2024-02-29"), DateTimeOffset.UtcNow, default))!;
        Assert.Equal((3, 3), (feb.N, feb.K));
        Assert.Equal(1.0, feb.Coverage, 12);
        Assert.Equal(1.0, feb.PValue, 12);
    }

    [Fact]
    public async Task the_audit_replays_exactly_the_events_behind_an_answer_and_verifies_them()
    {
        var audit = (await _h.Services.Audit.AuditAssessmentAsync(Topic, Day("2024-01-31"), DateTimeOffset.UtcNow, default))!;

        Assert.True(audit.ReplayMatches);
        Assert.True(audit.ChainIntact);
        Assert.Equal(audit.Answer.EventPositions, audit.Events.Select(e => e.Position).Order());
        Assert.DoesNotContain(audit.Events, e => e.Type == "narrative.item_recorded.v1" && e.Stream.Contains("reuters", StringComparison.Ordinal));
    }

    /// <summary>
    /// An independent count straight from the JSON files: claims grouped, first appearance (publishedAt, then file order)
    /// scored with I=1, II=2, weights per docs/design.md.
    /// </summary>
    private static Dictionary<string, (double Plain, double Weighted, bool Undisconfirmed)> HandCount(DateOnly asOf, bool judgments)
    {
        var folder = ApiServer.SeedsFolder();
        var reliability = JsonDocument.Parse(File.ReadAllText(Path.Combine(folder, "sources.json"))).RootElement.EnumerateArray()
            .ToDictionary(s => s.GetProperty("id").GetString()!, s => s.GetProperty("reliability").GetString()!);
        var items = Directory.GetFiles(Path.Combine(folder, "documents"), "*.json")
            .Select(f => JsonDocument.Parse(File.ReadAllText(f)).RootElement)
            .SelectMany(d => d.GetProperty("items").EnumerateArray().Select(i => (Doc: d, Item: i)))
            .Where(x => x.Item.GetProperty("topic").GetString() == Topic)
            .Select(x => (
                Published: DateOnly.Parse(x.Doc.GetProperty("publishedAt").GetString()!, System.Globalization.CultureInfo.InvariantCulture),
                Cites: x.Doc.GetProperty("cites").GetArrayLength(),
                Claim: x.Item.TryGetProperty("claim", out var c) ? c.GetString()! : x.Item.GetProperty("id").GetString()!,
                Id: x.Item.GetProperty("id").GetString()!,
                Reliability: reliability[x.Doc.GetProperty("source").GetString()!],
                Type: x.Item.GetProperty("type").GetString()!,
                // The speaker rule: s = r(speaker) / √2 when the item names a speaker other than its carrier.
                Speaker: x.Item.TryGetProperty("speaker", out var sp) && sp.GetString() != x.Doc.GetProperty("source").GetString()
                    ? reliability[sp.GetString()!] : null,
                Credibility: x.Item.GetProperty("credibility").GetInt32(),
                Ratings: x.Item.GetProperty("ratings").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetString()!)))
            .Where(x => x.Published <= asOf && (judgments || x.Type != "assessment"))
            .ToList();
        var hypotheses = new[] { "genuine", "feigned", "conditional", "maximalist" };
        // Same-day re-reports cite their origin, so they are ingested after it: an uncited document comes first.
        var firsts = items.GroupBy(i => i.Claim).Select(g => g.OrderBy(i => i.Published).ThenBy(i => i.Cites > 0).First()).ToList();
        foreach (var g in items.GroupBy(i => i.Claim))
        {
            var first = g.OrderBy(i => i.Published).ThenBy(i => i.Cites > 0).First();
            Assert.Single(g.Where(i => i.Published == first.Published && (i.Cites > 0) == (first.Cites > 0))
                .Select(i => string.Join(",", i.Ratings.OrderBy(r => r.Key)) + i.Credibility + i.Reliability).Distinct());
        }
        static double R(string g) => g is "A" or "B" ? Math.Sqrt(2) : g is "D" or "E" ? 1 / Math.Sqrt(2) : 1;
        static double C(int c) => c is 1 or 2 ? Math.Sqrt(2) : c is 4 or 5 ? 1 / Math.Sqrt(2) : 1;
        static int P(string r) => r == "I" ? 1 : r == "II" ? 2 : 0;
        static double S(string? speaker) => speaker is null ? 1 : R(speaker) / Math.Sqrt(2);
        return hypotheses.ToDictionary(h => h, h => (
            (double)firsts.Sum(i => P(i.Ratings[h])),
            firsts.Sum(i => P(i.Ratings[h]) * R(i.Reliability) * C(i.Credibility) * S(i.Speaker)),
            !firsts.Any(i => i.Type != "assessment" && P(i.Ratings[h]) > 0)));
    }
}

/// <summary>
/// Rules over the seed files themselves (no database): seeds/README.md, "Speaker and carrier".
/// </summary>
public sealed class SeedCorpusRuleTests
{
    // Speakers the corpus knows to speak for a registered party; an item quoting them must say so with the suffix.
    private static readonly string[] PartySpeakers = ["Vladimir Putin", "Dmitry Peskov", "Volodymyr Zelensky"];

    [Fact]
    public void items_spoken_by_a_registered_interested_party_name_it_as_their_speaker()
    {
        var folder = ApiServer.SeedsFolder();
        // Registered interested parties: the sources of kind "government" (parties to the war), registered for attribution.
        var sources = JsonDocument.Parse(File.ReadAllText(Path.Combine(folder, "sources.json"))).RootElement.EnumerateArray()
            .ToDictionary(s => s.GetProperty("id").GetString()!, s => s.GetProperty("kind").GetString()!);
        var parties = sources.Where(s => s.Value == "government").Select(s => s.Key).ToList();
        Assert.Contains("kremlin", parties);
        Assert.Contains("ukraine-gov", parties);

        var failures = new List<string>();
        var covered = 0;
        foreach (var file in Directory.GetFiles(Path.Combine(folder, "documents"), "*.json").Order(StringComparer.Ordinal))
        {
            using var doc = JsonDocument.Parse(File.ReadAllText(file));
            foreach (var item in doc.RootElement.GetProperty("items").EnumerateArray())
            {
                var id = item.GetProperty("id").GetString()!;
                var by = item.TryGetProperty("attributedTo", out var a) ? a.GetString() ?? "" : "";
                var speaker = item.TryGetProperty("speaker", out var sp) ? sp.GetString() : null;
                var party = parties.FirstOrDefault(p => by.EndsWith($"({p})", StringComparison.Ordinal));
                // The suffix marks the speaker; anywhere else (e.g. "Putin (kremlin), via NYT") it could not be read.
                foreach (var p in parties.Where(p => p != party && by.Contains($"({p})", StringComparison.Ordinal)))
                {
                    failures.Add($"{id}: '({p})' must end attributedTo ('{by}')");
                }
                if (speaker is not null && !sources.ContainsKey(speaker))
                {
                    failures.Add($"{id}: speaker '{speaker}' is not a registered source");
                }
                if (party is null)
                {
                    if (PartySpeakers.Any(s => by.StartsWith(s, StringComparison.Ordinal)))
                    {
                        failures.Add($"{id}: '{by}' speaks for a registered party but does not end with its '(id)'");
                    }
                    if (speaker is not null && parties.Contains(speaker))
                    {
                        failures.Add($"{id}: speaker '{speaker}' is a party, so attributedTo ends with '({speaker})'");
                    }
                    continue;
                }
                covered++;
                if (speaker != party)
                {
                    failures.Add($"{id}: attributed to {party}, so its speaker is '{party}' (not '{speaker}'): the speaker's grade weighs its words");
                }
            }
        }
        Assert.True(covered > 0, "no item is attributed to a registered interested party");
        Assert.True(failures.Count == 0, string.Join(Environment.NewLine, failures));
    }
}
