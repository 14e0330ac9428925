using Narrative.Analysis;
using Narrative.Analysis.Capture;
using Narrative.Api.Hosting;
using Narrative.Domain.Timeline;
using Narrative.Domain.Timing;

namespace Narrative.Api.Features;

/// <summary>
/// Point-in-time reads. asOf is world time, knownAt system time; both default to now. Served by a read replica when
/// any is configured (<see cref="ReadSide"/>; X-Consistent-After for read-your-writes); the audit reads the primary's log.
/// </summary>
public static class AnalysisEndpoints
{
    public static void MapAnalysis(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api").WithTags("Analysis").RejectBadTokens();

        api.MapGet("/topics", async (ReadSide read, CancellationToken ct) => TypedResults.Ok(await read.Queries.TopicsAsync(ct)))
            .WithName("ListTopics").WithSummary("The topics, each with its study period, hypotheses and how many items and documents it holds");

        api.MapGet("/context-periods", async (ReadSide read, CancellationToken ct) => TypedResults.Ok(await read.Queries.ContextPeriodsAsync(ct)))
            .WithName("ListContextPeriods").WithSummary("The context periods (aid debates, milestones, offensives) with their windows and decision dates");

        api.MapGet("/topics/{topic}/assessment", async (string topic, string? asOf, string? knownAt, string? analyst, string? view, string? judgments,
            ReadSide read, NarrativeServices s, CancellationToken ct) =>
        {
            if (Times(s, asOf, knownAt) is not { } t) return InvalidTimes(s, asOf);
            if (Judgments(judgments) is not { } rules) return InvalidJudgments();
            // ?analyst=<id> or ?view=consensus: the same assessment through analysts' ratings (AnalystEndpoints).
            var (lens, error) = await AnalystEndpoints.LensAsync(analyst, view, s, ct);
            if (error is not null) return error;
            if (lens is not null) return await AnalystEndpoints.AssessAsync(topic, t.AsOf, t.KnownAt, lens, rules, s, ct);
            return await read.Queries.AssessAsync(topic, t.AsOf, t.KnownAt, rules, ct) is { } a
                ? TypedResults.Ok(await CaptureQuotes.DecorateAsync(read.DataSource, a, ct)) : UnknownTopic(topic);
        }).WithName("GetAssessment")
            .WithSummary("The ACH assessment of a topic at (asOf, knownAt): scores, coverage, leading hypothesis, likelihood, confidence and the evidence (judgments in their own lane, unscored unless ?judgments=include); ?analyst= or ?view=consensus rates it through analysts' ratings")
            .Produces<Narrative.Domain.Assessment.AssessmentResult>().ProducesProblems(400, 404);

        api.MapGet("/topics/{topic}/sensitivity", async (string topic, string? asOf, string? knownAt, string? judgments, ReadSide read, NarrativeServices s,
            CancellationToken ct) =>
        {
            if (Times(s, asOf, knownAt) is not { } t) return InvalidTimes(s, asOf);
            if (Judgments(judgments) is not { } rules) return InvalidJudgments();
            return await read.Queries.SensitivityAsync(topic, t.AsOf, t.KnownAt, rules, ct) is { } r ? TypedResults.Ok(r) : UnknownTopic(topic);
        }).WithName("GetSensitivity")
            .WithSummary("ACH step 6: each claim removed in turn, the linchpins, the smallest set of origins whose removal loses the lead, and the most fragile ratings")
            .Produces<Narrative.Domain.Assessment.SensitivityResult>().ProducesProblems(400, 404);

        api.MapGet("/topics/{topic}/coincidence", async (string topic, string? asOf, string? knownAt, ReadSide read, NarrativeServices s, CancellationToken ct) =>
        {
            if (Times(s, asOf, knownAt) is not { } t) return InvalidTimes(s, asOf);
            return await read.Queries.CoincidenceAsync(topic, t.AsOf, t.KnownAt, ct) is { } c ? TypedResults.Ok(c) : UnknownTopic(topic);
        }).WithName("GetCoincidence")
            .WithSummary("Do the topic's independent signals fall inside aid-debate windows more often than the windows' coverage predicts?")
            .Produces<Narrative.Domain.Coincidence.CoincidenceResult>().ProducesProblems(400, 404);

        api.MapGet("/topics/{topic}/timing", async (string topic, string? asOf, string? knownAt, string? window, ReadSide read, NarrativeServices s, CancellationToken ct) =>
        {
            if (Times(s, asOf, knownAt) is not { } t) return InvalidTimes(s, asOf);
            var w = TimingTest.DefaultWindow;
            if (!string.IsNullOrEmpty(window) && !(int.TryParse(window, out w) && w is >= 0 and <= TimingTest.MaxWindow))
                return Problems.BadQuery("window", "invalid_window", $"window is a whole number of days from 0 to {TimingTest.MaxWindow}.");
            return await read.Queries.TimingAsync(topic, t.AsOf, t.KnownAt, w, ct) is { } r ? TypedResults.Ok(r) : UnknownTopic(topic);
        }).WithName("GetTiming")
            .WithSummary("Do the signals fall within a window of days before aid decisions? The test, its power and what it can show")
            .Produces<TimingResult>().ProducesProblems(400, 404);

        api.MapGet("/topics/{topic}/timeline", async (string topic, string? from, string? to, string? step, string? knownAt, string? judgments,
            ReadSide read, NarrativeServices s, CancellationToken ct) =>
        {
            if (Judgments(judgments) is not { } rules) return InvalidJudgments();
            var topics = await read.Queries.TopicsAsync(ct);
            if (topics.FirstOrDefault(x => x.Id == topic) is not { } info) return UnknownTopic(topic);
            if (!TimeParams.TryDate(from, info.PeriodStart, out var f)) return TimeParams.Invalid("from");
            if (!TimeParams.TryDate(to, info.PeriodEnd, out var u)) return TimeParams.Invalid("to");
            if (!TimeParams.TryInstant(knownAt, s.Clock.GetUtcNow(), out var k)) return TimeParams.Invalid("knownAt");
            if (step is not (null or "" or "day" or "week")) return Problems.BadQuery("step", "invalid_step", "step is 'day' or 'week'.");
            if (u < f) return TimeParams.Reversed("from", "to", $"{f:yyyy-MM-dd}", $"{u:yyyy-MM-dd}");
            if (u.DayNumber - f.DayNumber > 3660) return Problems.BadQuery("to", "range_too_long", "A timeline spans at most ten years.");
            var s2 = step == "day" ? TimelineStep.Day : TimelineStep.Week;
            return await read.Queries.TimelineAsync(topic, f, u, s2, k, rules, ct) is { } r ? TypedResults.Ok(r) : UnknownTopic(topic);
        }).WithName("GetTimeline")
            .WithSummary("The assessment sampled by day or week over a range of world dates, with the items that moved the scores")
            .Produces<Narrative.Domain.Timeline.TimelineResult>().ProducesProblems(400, 404);

        api.MapGet("/topics/{topic}/changes", async (string topic, string? from, string? to, string? knownFrom, string? knownTo, string? asOf,
            string? knownAt, string? judgments, ReadSide read, NarrativeServices s, CancellationToken ct) =>
        {
            var now = s.Clock.GetUtcNow();
            if (Judgments(judgments) is not { } rules) return InvalidJudgments();
            if (knownFrom is { Length: > 0 } || knownTo is { Length: > 0 })
            {
                // Two system times: what the system learned between them about the picture at asOf.
                if (!TimeParams.TryInstant(knownFrom, DateTimeOffset.UnixEpoch, out var kf)) return TimeParams.Invalid("knownFrom");
                if (!TimeParams.TryInstant(knownTo, now, out var kt)) return TimeParams.Invalid("knownTo");
                if (!TimeParams.TryInstant(asOf, now, out var a)) return TimeParams.Invalid("asOf");
                if (kf > kt) return TimeParams.Reversed("knownFrom", "knownTo", $"{kf:O}", $"{kt:O}");
                return await read.Queries.ChangesAsync(topic, a, kf, kt, rules, ct) is { } c ? TypedResults.Ok(c) : UnknownTopic(topic);
            }
            if (string.IsNullOrWhiteSpace(from) || string.IsNullOrWhiteSpace(to))
                return Problems.BadQuery(string.IsNullOrWhiteSpace(from) ? "from" : "to", "required",
                    "Give from and to (world dates), or knownFrom and knownTo (system times).");
            if (!TimeParams.TryDate(from, default, out var f)) return TimeParams.Invalid("from");
            if (!TimeParams.TryDate(to, default, out var u)) return TimeParams.Invalid("to");
            if (f > u) return TimeParams.Reversed("from", "to", $"{f:yyyy-MM-dd}", $"{u:yyyy-MM-dd}");
            if (!TimeParams.TryInstant(knownAt, now, out var k)) return TimeParams.Invalid("knownAt");
            return await read.Queries.ChangesAsync(topic, f, u, k, rules, ct) is { } r ? TypedResults.Ok(r) : UnknownTopic(topic);
        }).WithName("GetChanges")
            .WithSummary("What changed between two world dates (or two system times): evidence added, retracted or re-rated, and the effect on each score")
            .Produces<Narrative.Domain.Timeline.ChangesResult>().ProducesProblems(400, 404);

        api.MapGet("/claims/{claim}/provenance", async (string claim, string? asOf, string? knownAt, ReadSide read, NarrativeServices s, CancellationToken ct) =>
        {
            if (Times(s, asOf, knownAt) is not { } t) return InvalidTimes(s, asOf);
            var p = await read.Queries.ProvenanceAsync(claim, t.AsOf, t.KnownAt, ct);
            return p.Appearances.Count == 0 ? Problems.NotFound($"No appearance of claim '{claim}' is known as of that date.") : TypedResults.Ok(p);
        }).WithName("GetProvenance")
            .WithSummary("A claim's appearances, which of them are derivative (their document cites an earlier carrier), and its independent origins")
            .Produces<Narrative.Domain.Provenance.ProvenanceResult>().ProducesProblems(400, 404);

        api.MapGet("/topics/{topic}/audit", async (string topic, string? asOf, string? knownAt, NarrativeServices s, CancellationToken ct) =>
        {
            if (Times(s, asOf, knownAt) is not { } t) return InvalidTimes(s, asOf);
            return await s.Audit.AuditAssessmentAsync(topic, t.AsOf, t.KnownAt, ct) is { } a ? TypedResults.Ok(a) : UnknownTopic(topic);
        }).WithName("GetAudit")
            .WithSummary("The events behind an assessment, replayed with the pure domain functions and checked against the hash chains")
            .Produces<Narrative.Analysis.Audit.AuditResult>().ProducesProblems(400, 404);
    }

    private static (DateTimeOffset AsOf, DateTimeOffset KnownAt)? Times(NarrativeServices s, string? asOf, string? knownAt)
    {
        var now = s.Clock.GetUtcNow();
        return TimeParams.TryInstant(asOf, now, out var a) && TimeParams.TryInstant(knownAt, now, out var k) ? (a, k) : null;
    }

    private static IResult InvalidTimes(NarrativeServices s, string? asOf) =>
        TimeParams.Invalid(TimeParams.TryInstant(asOf, s.Clock.GetUtcNow(), out _) ? "knownAt" : "asOf");

    /// <summary><c>judgments</c>: absent or <c>exclude</c> (judgments in their lane, not scored) or <c>include</c> (scored, the old rule).</summary>
    internal static Narrative.Domain.Assessment.ScoringRules? Judgments(string? value) => value switch
    {
        null or "" or "exclude" => Narrative.Domain.Assessment.ScoringRules.Default,
        "include" => Narrative.Domain.Assessment.ScoringRules.WithJudgments,
        _ => null,
    };

    internal static IResult InvalidJudgments() =>
        Problems.BadQuery("judgments", "invalid_judgments", "judgments is 'exclude' (the default: analytic judgments are shown, not scored) or 'include'.");

    private static IResult UnknownTopic(string topic) => Problems.NotFound($"Topic '{topic}' is not known (at that system time).");
}
