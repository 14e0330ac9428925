using System.Collections.Immutable;
using System.Runtime.InteropServices;
using Narrative.Domain.Analysts;
using Narrative.Domain.Assessment;
using Narrative.Domain.Coincidence;
using Narrative.Domain.Hypotheses;
using Narrative.Domain.Provenance;
using Narrative.Domain.Timeline;
using Narrative.Domain.Timing;

namespace Narrative.Domain.Replay;

/// <summary>
/// Point-in-time answers over a <see cref="NarrativeWorld"/>. World time: an item counts when its publishedAt is
/// on or before the UTC date of <c>asOf</c>. System time: only events recorded at or before <c>knownAt</c> count.
/// This is the reference the SQL read models must agree with.
/// </summary>
public static partial class WorldQueries
{
    public static DateOnly WorldDate(DateTimeOffset asOf) => DateOnly.FromDateTime(asOf.UtcDateTime);

    /// <summary>The end of a UTC day, the instant a date-only asOf stands for.</summary>
    public static DateTimeOffset EndOfDay(DateOnly date) =>
        new DateTimeOffset(date.ToDateTime(TimeOnly.MinValue), TimeSpan.Zero).AddDays(1).AddTicks(-1);

    /// <param name="lens">Whose ratings: the documents' (default), one analyst's or the consensus (<see cref="RatingViews"/>).</param>
    /// <param name="rules">Which lanes are scored (<see cref="ScoringRules.Default"/>: judgments apart).</param>
    public static AssessmentResult? Assess(NarrativeWorld world, string topic, DateTimeOffset asOf, DateTimeOffset knownAt, RatingsLens? lens = null,
        ScoringRules? rules = null)
    {
        rules ??= ScoringRules.Default;
        if (Open(world, topic, asOf, knownAt) is not var (topicVersion, view))
        {
            return null;
        }
        var rated = Rate(world, topic, knownAt, view.TopicItems(topic), lens, view.Used);
        var evidence = rated.Items;
        var derived = view.DerivedFrom;
        var hypotheses = topicVersion.Value.Hypotheses;
        var origins = EvidenceOrigins.Build(hypotheses, rules.Scorable(evidence), derived);
        var score = origins.Score;
        var judgement = Likelihood.Judge(origins, SensitivityAnalysis.FindFlipSet(origins));
        var scoredIds = score.Scored.Select(s => s.ItemId).ToHashSet(StringComparer.Ordinal);
        var contestedBy = view.ContestedBy();

        // Items share a few hundred distinct ratings objects (one per combination), so diagnosticity and the unrated
        // hypotheses are computed per object.
        var diagnosticity = new Dictionary<IReadOnlyDictionary<string, string>, (double Diagnosticity, IReadOnlyList<string> Unrated)>(
            ReferenceEqualityComparer.Instance);
        // The view lists items in the world's (publishedAt, item id) order, which is the evidence order.
        var list = new List<EvidenceView>(evidence.Count);
        foreach (var e in evidence)
        {
            var by = contestedBy.GetValueOrDefault(e.ItemId) ?? [];
            foreach (var rebuttal in by)
            {
                view.UseItem(rebuttal);
            }
            if (!diagnosticity.TryGetValue(e.Ratings, out var perRatings))
            {
                diagnosticity[e.Ratings] = perRatings = (AchScoring.Diagnosticity(e.Ratings), Unrated(hypotheses, e.Ratings));
            }
            var (d, unrated) = perRatings;
            var from = derived[e.ItemId];
            var ratedBy = rated.Sources.GetValueOrDefault(e.ItemId);
            list.Add(new EvidenceView(
                e.ItemId, e.DocumentId, e.Source, e.Type, e.Claim, e.PublishedAt, e.Credibility, e.Reliability, e.Ratings,
                d, from is not null, from, by.Count > 0, by, scoredIds.Contains(e.ItemId),
                RatingsBy: ratedBy?.RatingsBy ?? RatingsLens.DocumentKind, CellsBy: ratedBy?.CellsBy)
            {
                Lane = ScoringRules.LaneOf(e.Type),
                Speaker = e.Speaker,
                SpeakerReliability = e.SpeakerReliability,
                Weight = Math.Round(AchScoring.Weight(e), 6),
                Unrated = unrated,
            });
        }
        view.UseRetractedTopicItems(topic);
        var used = view.Used.ToArray();
        Array.Sort(used);
        var positions = ImmutableCollectionsMarshal.AsImmutableArray(used);
        return new AssessmentResult(
            topic, asOf, knownAt, positions.Length == 0 ? 0 : positions[^1], score.Leading, judgement.Likelihood, judgement.Probability,
            judgement.Confidence, judgement.Basis, score.Hypotheses, list, positions,
            lens?.Kind ?? RatingsLens.DocumentKind, lens?.Analyst)
        {
            Judgments = rules.IncludeJudgments ? "include" : "exclude",
        };
    }

    private static IReadOnlyList<string> Unrated(IReadOnlyList<Hypothesis> hypotheses, IReadOnlyDictionary<string, string> ratings)
    {
        List<string>? unrated = null;
        foreach (var h in hypotheses)
        {
            if (!Coverage.IsRated(ratings, h.Id))
            {
                (unrated ??= []).Add(h.Id);
            }
        }
        return unrated ?? (IReadOnlyList<string>)[];
    }

    /// <summary>
    /// ACH step 6 at (asOf, knownAt): each scored claim removed in turn, the linchpins among them, and the smallest set
    /// of independent origins whose removal loses the lead.
    /// </summary>
    public static SensitivityResult? Sensitivity(NarrativeWorld world, string topic, DateTimeOffset asOf, DateTimeOffset knownAt, ScoringRules? rules = null)
    {
        rules ??= ScoringRules.Default;
        if (Open(world, topic, asOf, knownAt) is not var (topicVersion, view))
        {
            return null;
        }
        var scorable = rules.Scorable(view.TopicItems(topic));
        var origins = EvidenceOrigins.Build(topicVersion.Value.Hypotheses, scorable, view.DerivedFrom);
        view.UseRetractedTopicItems(topic);
        var claims = SensitivityAnalysis.Claims(origins);
        var leading = origins.Score.Leading;
        return new SensitivityResult(
            topic, asOf, knownAt, view.Used.Max(), leading, leading is null ? null : EvidenceOrigins.Margin(origins.Score.Hypotheses),
            claims, [.. claims.Where(c => c.Linchpin).Select(c => c.Claim)], SensitivityAnalysis.FindFlipSet(origins))
        {
            Judgments = rules.IncludeJudgments ? "include" : "exclude",
            Ratings = RatingSensitivity.Analyse(topicVersion.Value.Hypotheses, scorable, view.DerivedFrom, origins),
        };
    }

    /// <summary>The topic in force at knownAt and the view at (asOf, knownAt), with the topic's event counted as used.</summary>
    private static (Versioned<TopicOpened> Topic, View View)? Open(NarrativeWorld world, string topic, DateTimeOffset asOf, DateTimeOffset knownAt)
    {
        ArgumentNullException.ThrowIfNull(world);
        if (world.TopicAt(topic, knownAt) is not { } topicVersion)
        {
            return null;
        }
        var view = new View(world, WorldDate(asOf), knownAt);
        // Every version of the topic known by then: a revision is applied to the set before it, so a replay needs both.
        foreach (var v in world.Topics[topic])
        {
            if (v.RecordedAt <= knownAt)
            {
                view.Used.Add(v.Position);
            }
        }
        return (topicVersion, view);
    }

    public static ProvenanceResult Provenance(NarrativeWorld world, string claim, DateTimeOffset asOf, DateTimeOffset knownAt)
    {
        ArgumentNullException.ThrowIfNull(world);
        var view = new View(world, WorldDate(asOf), knownAt);
        var (independent, first, appearances) = ProvenanceAnalysis.Analyse(claim, view.Visible, view.Cites);
        foreach (var a in appearances)
        {
            view.UseItem(a.ItemId);
        }
        return new ProvenanceResult(claim, asOf, knownAt, view.Used.Count == 0 ? 0 : view.Used.Max(), independent, first, appearances);
    }

    public static CoincidenceResult? Coincidence(NarrativeWorld world, string topic, DateTimeOffset asOf, DateTimeOffset knownAt)
    {
        if (Open(world, topic, asOf, knownAt) is not var (topicVersion, view))
        {
            return null;
        }
        var periods = ContextPeriodsUsed(world, view, knownAt, CoincidenceAnalysis.AidDebateCategory);
        var t = topicVersion.Value;
        return CoincidenceAnalysis.Compute(
            topic, t.PeriodStart, t.PeriodEnd, asOf, view.AsOf, IndependentSignals(view, topic), periods, knownAt, view.Used.Max());
    }

    /// <summary>The coincidence and timing views' signals: the topic's non-derivative signal items.</summary>
    private static List<SignalCandidate> IndependentSignals(View view, string topic)
    {
        var derived = view.DerivedFrom;
        return view.TopicItems(topic)
            .Where(i => i.Type == "signal" && derived[i.ItemId] is null)
            .Select(i => new SignalCandidate(i.ItemId, i.DocumentId, i.PublishedAt))
            .ToList();
    }

    /// <summary>The context periods in force at knownAt; those of <paramref name="categories"/> are marked used.</summary>
    private static List<ContextPeriodRecorded> ContextPeriodsUsed(NarrativeWorld world, View view, DateTimeOffset knownAt, params string[] categories)
    {
        var periods = world.ContextPeriods.Keys
            .Select(id => NarrativeWorld.InForce(world.ContextPeriods, id, knownAt))
            .OfType<Versioned<ContextPeriodRecorded>>()
            .ToList();
        foreach (var p in periods.Where(p => categories.Contains(p.Value.Category)))
        {
            view.Used.Add(p.Position);
        }
        return [.. periods.Select(p => p.Value)];
    }

    /// <summary>The timing test over the coincidence view's independent signals; milestones come from the context periods in force at knownAt.</summary>
    public static TimingResult? Timing(NarrativeWorld world, string topic, DateTimeOffset asOf, DateTimeOffset knownAt, int window)
    {
        if (Open(world, topic, asOf, knownAt) is not var (topicVersion, view))
        {
            return null;
        }
        var periods = ContextPeriodsUsed(world, view, knownAt, CoincidenceAnalysis.AidDebateCategory, TimingTest.MilestoneCategory);
        var t = topicVersion.Value;
        return TimingTest.Compute(
            topic, t.PeriodStart, t.PeriodEnd, asOf, view.AsOf, IndependentSignals(view, topic), periods, window, knownAt, view.Used.Max());
    }

    public static TimelineResult? Timeline(NarrativeWorld world, string topic, DateOnly from, DateOnly to, TimelineStep step, DateTimeOffset knownAt,
        ScoringRules? rules = null)
    {
        ArgumentNullException.ThrowIfNull(world);
        rules ??= ScoringRules.Default;
        var topicVersion = world.TopicAt(topic, knownAt);
        if (topicVersion is null)
        {
            return null;
        }
        var days = step == TimelineStep.Week ? 7 : 1;
        var hypotheses = topicVersion.Value.Hypotheses;
        // Walked once, not re-scored per point. With knownAt fixed, what is visible at a date is a prefix of the topic's
        // visible items in appearance order (publishedAt first), and a later date only adds items published after all
        // those counted so far. So a claim's first appearance, once found, never changes; the claims each step adds
        // are its causes when they carry any inconsistency; and adding their terms in appearance order gives the
        // very sums AchScoring.Score gives for that date.
        var items = rules.Scorable(new View(world, DateOnly.MaxValue, knownAt).TopicItems(topic)).ToList();
        items.Sort(EvidenceItem.AppearanceOrder);
        var claims = new HashSet<string>(StringComparer.Ordinal);
        var plain = new double[hypotheses.Count];
        var weighted = new double[hypotheses.Count];
        var rated = new int[hypotheses.Count];
        var next = 0;
        List<string> Advance(DateOnly asOf)
        {
            var causes = new List<string>();
            for (; next < items.Count && items[next].PublishedAt <= asOf; next++)
            {
                var item = items[next];
                if (!claims.Add(item.Claim))
                {
                    continue;
                }
                if (AchScoring.AddTerms(hypotheses, item, plain, weighted, rated))
                {
                    causes.Add(item.ItemId);
                }
            }
            return causes;
        }

        // The first point's causes are what changed since one step before it.
        Advance(from.AddDays(-days));
        var robustness = new Robustness(world, topic, hypotheses, knownAt, rules);
        var points = new List<TimelinePoint>();
        for (var at = from; at <= to; at = at.AddDays(days))
        {
            var causes = Advance(at);
            var ranked = AchScoring.Rank(hypotheses, plain, weighted, rated, claims.Count);
            var leading = AchScoring.LeaderOf(ranked);
            var (flip, judgement) = robustness.At(at, leading);
            points.Add(new TimelinePoint(
                at, leading,
                ranked.ToImmutableSortedDictionary(h => h.Id, h => h.WeightedInconsistency, StringComparer.Ordinal),
                points.Count > 0 && points[^1].Leading != leading, causes, flip?.Origins.Count, flip?.Exact,
                judgement?.Likelihood ?? Likelihood.Undetermined, judgement?.Probability));
        }
        return new TimelineResult(topic, step == TimelineStep.Week ? "week" : "day", from, to, knownAt, points)
        {
            Judgments = rules.IncludeJudgments ? "include" : "exclude",
        };
    }

    /// <summary>
    /// The flip set along a timeline, as the assessment of each date finds it. Derivation depends on everything visible
    /// at the date (any topic), so it is read from that date's view; and since it only changes when something is
    /// published, it is read again only on dates after a publication.
    /// </summary>
    private sealed class Robustness(NarrativeWorld world, string topic, IReadOnlyList<Hypothesis> hypotheses, DateTimeOffset knownAt, ScoringRules rules)
    {
        private readonly DateOnly[] _published = world.ItemList.Select(h => h.Recorded.PublishedAt).Order().ToArray();
        private FlipSet? _flip;
        private Judgement? _judgement;
        private DateOnly? _readAt;

        /// <summary>The flip set and the likelihood judgement (word and p, as the assessment gives them) at a date.</summary>
        public (FlipSet? Flip, Judgement? Judgement) At(DateOnly at, string? leading)
        {
            if (leading is null)
            {
                (_flip, _judgement, _readAt) = (null, null, null);
            }
            else if (_readAt is not { } since || PublishedBetween(since, at))
            {
                var view = new View(world, at, knownAt);
                var origins = EvidenceOrigins.Build(hypotheses, rules.Scorable(view.TopicItems(topic)), view.DerivedFrom);
                _flip = SensitivityAnalysis.FindFlipSet(origins);
                _judgement = Likelihood.Judge(origins, _flip);
                _readAt = at;
            }
            return (_flip, _judgement);
        }

        /// <summary>True when something was published in (after, upTo].</summary>
        private bool PublishedBetween(DateOnly after, DateOnly upTo)
        {
            var i = Array.BinarySearch(_published, after.AddDays(1));
            var first = i >= 0 ? i : ~i;
            // BinarySearch finds any of a run of equal dates; step back to the first.
            while (first > 0 && _published[first - 1] > after)
            {
                first--;
            }
            return first < _published.Length && _published[first] <= upTo;
        }
    }

    /// <summary>World-time diff: what publication in (from, to] did to the topic, as known at <paramref name="knownAt"/>.</summary>
    public static ChangesResult? Changes(NarrativeWorld world, string topic, DateOnly from, DateOnly to, DateTimeOffset knownAt, ScoringRules? rules = null) =>
        Diff(world, topic, from, knownAt, to, knownAt, rules ?? ScoringRules.Default);

    /// <summary>System-time diff: what was recorded in (knownFrom, knownTo] changed about the topic as of <paramref name="asOf"/>.</summary>
    public static ChangesResult? Changes(NarrativeWorld world, string topic, DateTimeOffset asOf, DateTimeOffset knownFrom, DateTimeOffset knownTo,
        ScoringRules? rules = null) =>
        Diff(world, topic, WorldDate(asOf), knownFrom, WorldDate(asOf), knownTo, rules ?? ScoringRules.Default);

    private static ChangesResult? Diff(NarrativeWorld world, string topic, DateOnly asOfBefore, DateTimeOffset knownBefore, DateOnly asOfAfter, DateTimeOffset knownAfter,
        ScoringRules rules)
    {
        ArgumentNullException.ThrowIfNull(world);
        var topicAfter = world.TopicAt(topic, knownAfter);
        if (topicAfter is null)
        {
            return null;
        }
        var topicBefore = world.TopicAt(topic, knownBefore) ?? topicAfter;
        var before = new View(world, asOfBefore, knownBefore).TopicItems(topic).ToDictionary(i => i.ItemId, StringComparer.Ordinal);
        var after = new View(world, asOfAfter, knownAfter).TopicItems(topic).ToDictionary(i => i.ItemId, StringComparer.Ordinal);
        static ChangedItem Changed(EvidenceItem i) => new(i.ItemId, i.DocumentId, i.Claim, i.PublishedAt);

        var added = after.Values.Where(i => !before.ContainsKey(i.ItemId)).Order(EvidenceItem.AppearanceOrder).Select(Changed).ToList();
        var removed = before.Values.Where(i => !after.ContainsKey(i.ItemId)).Order(EvidenceItem.AppearanceOrder).Select(Changed).ToList();
        // A revision adds and removes hypotheses (and fills split products in); only the hypotheses on both sides can have
        // been re-rated, so a revision is reported as a revision, not as evidence.
        var common = topicBefore.Value.Hypotheses.Select(h => h.Id).Intersect(topicAfter.Value.Hypotheses.Select(h => h.Id), StringComparer.Ordinal)
            .ToHashSet(StringComparer.Ordinal);
        var rerated = before.Values
            .Where(b => after.TryGetValue(b.ItemId, out var a) && (a.Credibility != b.Credibility || !SameRatings(a.Ratings, b.Ratings, common)))
            .Order(EvidenceItem.AppearanceOrder)
            .Select(b =>
            {
                var a = after[b.ItemId];
                return new ReratedItem(b.ItemId, b.DocumentId, b.Ratings, a.Ratings, b.Credibility, a.Credibility,
                    world.Items[b.ItemId].VersionAt(knownAfter)?.Reason);
            })
            .ToList();
        var scoreBefore = AchScoring.Score(topicBefore.Value.Hypotheses, rules.Scorable([.. before.Values]));
        var scoreAfter = AchScoring.Score(topicAfter.Value.Hypotheses, rules.Scorable([.. after.Values]));
        var scores = scoreAfter.Hypotheses
            .OrderBy(h => h.Id, StringComparer.Ordinal)
            .Select(h =>
            {
                var b = scoreBefore.Hypotheses.FirstOrDefault(x => x.Id == h.Id);
                return new ScoreChange(h.Id, b?.Inconsistency ?? 0, h.Inconsistency, b?.WeightedInconsistency ?? 0, h.WeightedInconsistency) { New = b is null };
            })
            .ToList();
        var revisions = (world.Revisions.GetValueOrDefault(topic) ?? [])
            .Where(r => r.RecordedAt > knownBefore && r.RecordedAt <= knownAfter)
            .Select(r => new HypothesisRevisionView(r.Position, r.RecordedAt, r.Value.Reason, [.. r.Value.Added.Select(h => h.Id)], r.Value.Retired, r.Value.Splits))
            .ToList();
        var retired = topicBefore.Value.Hypotheses.Select(h => h.Id).Where(id => !common.Contains(id)).ToList();
        return new ChangesResult(topic, asOfBefore, asOfAfter, knownBefore, knownAfter, added, removed, rerated, scores, scoreBefore.Leading, scoreAfter.Leading)
        {
            Revisions = revisions,
            RetiredHypotheses = retired,
            Judgments = rules.IncludeJudgments ? "include" : "exclude",
        };
    }

    private static bool SameRatings(IReadOnlyDictionary<string, string> a, IReadOnlyDictionary<string, string> b, IReadOnlySet<string> hypotheses) =>
        hypotheses.All(h => a.GetValueOrDefault(h) == b.GetValueOrDefault(h));

    /// <summary>The visible slice of the world at one (asOf date, knownAt), with the positions it drew on.</summary>
    private sealed class View
    {
        private readonly NarrativeWorld _world;
        private readonly DateTimeOffset _knownAt;
        private IReadOnlyDictionary<string, string?>? _derived;
        // Sources and documents in force at knownAt, looked up once per id (many items share them).
        private readonly InForce<SourceRegistered> _sources;
        private readonly InForce<DocumentIngested> _documents;
        // The history behind each of Visible, at the same index.
        private readonly List<ItemHistory> _histories;

        public View(NarrativeWorld world, DateOnly asOf, DateTimeOffset knownAt)
        {
            _world = world;
            AsOf = asOf;
            _knownAt = knownAt;
            _sources = new InForce<SourceRegistered>(id => world.SourceAt(id, knownAt));
            _documents = new InForce<DocumentIngested>(id => world.DocumentAt(id, knownAt));
            // Sized for the whole world up front: these lists are big enough to live on the large object heap, where
            // each growth step would be another allocation that only a full collection reclaims.
            var all = world.ItemList;
            var visible = new List<EvidenceItem>(all.Length);
            _histories = new List<ItemHistory>(all.Length);
            Used = new HashSet<long>(all.Length + world.Documents.Count);
            var stable = world.StableEvidence;
            for (var i = 0; i < all.Length; i++)
            {
                var history = all[i];
                var r = history.Recorded;
                if (r.PublishedAt > asOf || history.VersionAt(knownAt) is not { } version)
                {
                    continue;
                }
                var reliability = _sources.Get(r.Source)?.Value.Reliability ?? "F";
                var speakerReliability = r.Speaker is null ? null : _sources.Get(r.Speaker)?.Value.Reliability ?? "F";
                visible.Add(stable[i] is { } same && same.Reliability == reliability && same.SpeakerReliability == speakerReliability
                    ? same
                    : new EvidenceItem(r.ItemId, r.DocumentId, r.Source, reliability, r.PublishedAt, history.Position,
                        r.Topic, r.Type, r.Claim, version.Credibility, version.Ratings, r.Rebuts, r.Speaker, speakerReliability));
                _histories.Add(history);
            }
            Visible = visible;
            var cites = new Dictionary<string, IReadOnlyList<string>>(world.Documents.Count, StringComparer.Ordinal);
            foreach (var (id, _) in world.Documents)
            {
                if (world.DocumentAt(id, knownAt) is { } d)
                {
                    cites[d.Value.DocumentId] = d.Value.Cites;
                }
            }
            Cites = cites;
        }

        public DateOnly AsOf { get; }

        public IReadOnlyList<EvidenceItem> Visible { get; }

        public IReadOnlyDictionary<string, IReadOnlyList<string>> Cites { get; }

        /// <summary>Positions of the events the answer drew on (sorted once, when the answer is built).</summary>
        public HashSet<long> Used { get; }

        public IReadOnlyDictionary<string, string?> DerivedFrom => _derived ??= ProvenanceAnalysis.DerivedFrom(Visible, Cites);

        /// <summary>
        /// The topic's visible items, with split hypotheses' inherited ratings filled in; marks their events (and their
        /// sources and documents) as used.
        /// </summary>
        public IReadOnlyList<EvidenceItem> TopicItems(string topic)
        {
            var splits = HypothesisRevision.Splits(_world.RevisionsAt(topic, _knownAt).Select(r => r.Value));
            // Items share a few hundred ratings objects; each is filled in once.
            var inherited = new Dictionary<IReadOnlyDictionary<string, string>, IReadOnlyDictionary<string, string>>(ReferenceEqualityComparer.Instance);
            var items = new List<EvidenceItem>(Visible.Count);
            for (var i = 0; i < Visible.Count; i++)
            {
                if (Visible[i].Topic == topic)
                {
                    var item = Visible[i];
                    if (splits.Count > 0)
                    {
                        if (!inherited.TryGetValue(item.Ratings, out var ratings))
                        {
                            inherited[item.Ratings] = ratings = HypothesisRevision.Inherit(item.Ratings, splits);
                        }
                        item = ReferenceEquals(ratings, item.Ratings) ? item : item with { Ratings = ratings };
                    }
                    items.Add(item);
                    Use(_histories[i]);
                }
            }
            return items;
        }

        public void UseItem(string itemId) => Use(_world.Items[itemId]);

        private void Use(ItemHistory h)
        {
            Used.Add(h.Position);
            for (var i = 0; i < h.Versions.Count; i++)
            {
                if (h.Versions[i].FromRecordedAt <= _knownAt)
                {
                    Used.Add(h.Versions[i].FromPosition);
                }
            }
            UseSource(h.Recorded.Source);
            if (h.Recorded.Speaker is { } speaker)
            {
                UseSource(speaker);
            }
            // A document's items come one after the other: its event is added once for them all.
            if (h.Recorded.DocumentId != _usedDocument)
            {
                _usedDocument = h.Recorded.DocumentId;
                if (_documents.Get(h.Recorded.DocumentId) is { } d)
                {
                    Used.Add(d.Position);
                }
            }
        }

        // The last source and document whose events were added: adding them again would add nothing.
        private string? _usedSource;
        private string? _usedDocument;

        /// <summary>A source's registration and every regrade known by knownAt (a regrade is applied to what it regrades).</summary>
        private void UseSource(string id)
        {
            if (id == _usedSource)
            {
                return;
            }
            _usedSource = id;
            if (_sources.Get(id) is not { } latest)
            {
                return;
            }
            Used.Add(latest.Position);
            if (_world.Sources[id] is { Count: > 1 } versions)
            {
                foreach (var v in versions)
                {
                    if (v.RecordedAt <= _knownAt)
                    {
                        Used.Add(v.Position);
                    }
                }
            }
        }

        /// <summary>Retractions known by knownAt of topic items published by asOf: they shaped the answer by their absence.</summary>
        public void UseRetractedTopicItems(string topic)
        {
            foreach (var h in _world.ItemList)
            {
                if (h.Retraction is { } x && x.RecordedAt <= _knownAt && h.Recorded.PublishedAt <= AsOf && h.Recorded.Topic == topic)
                {
                    Use(h);
                    Used.Add(x.Position);
                }
            }
        }

        /// <summary>Item id → the visible rebuttals that list it, in item id order.</summary>
        public IReadOnlyDictionary<string, IReadOnlyList<string>> ContestedBy()
        {
            var by = new Dictionary<string, SortedSet<string>>(StringComparer.Ordinal);
            foreach (var r in Visible)
            {
                if (r.Type != "rebuttal")
                {
                    continue;
                }
                foreach (var target in r.Rebuts)
                {
                    if (!by.TryGetValue(target, out var set))
                    {
                        by[target] = set = new SortedSet<string>(StringComparer.Ordinal);
                    }
                    set.Add(r.ItemId);
                }
            }
            return by.ToDictionary(kv => kv.Key, kv => (IReadOnlyList<string>)[.. kv.Value], StringComparer.Ordinal);
        }
    }

    /// <summary>
    /// The version in force of each id, looked up once. Items come grouped by document (and so by source), so the
    /// last id asked is checked before the dictionary.
    /// </summary>
    private sealed class InForce<T>(Func<string, Versioned<T>?> lookup)
    {
        private readonly Dictionary<string, Versioned<T>?> _byId = new(StringComparer.Ordinal);
        private string? _lastId;
        private Versioned<T>? _last;

        public Versioned<T>? Get(string id)
        {
            if (id == _lastId)
            {
                return _last;
            }
            if (!_byId.TryGetValue(id, out var value))
            {
                _byId[id] = value = lookup(id);
            }
            (_lastId, _last) = (id, value);
            return value;
        }
    }
}
