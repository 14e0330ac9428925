using System.CommandLine;
using System.Globalization;
using Narrative.Cli.Output;
using Narrative.Domain.Assessment;
using Narrative.Domain.Corpus;
using Narrative.Domain.Replay;
using Narrative.Domain.Timeline;
using Narrative.Domain.Timing;
using Spectre.Console;

namespace Narrative.Cli.Commands;

/// <summary>Analyst queries: the same answers as the API, as tables or --json.</summary>
public static class QueryCommands
{
    internal static readonly Option<string?> AsOf = TimeOption("--as-of", "World time (date = end of that day, UTC); default now");
    internal static readonly Option<string?> KnownAt = TimeOption("--known-at", "System time: what the system knew then; default now");
    internal static readonly Option<string> Judgments = JudgmentsOption();

    public static void Add(RootCommand root)
    {
        var topic = new Argument<string>("topic");
        var claim = new Argument<string>("claim");
        var from = TimeOption("--from", "World date the range starts on (timeline: default the topic's period)");
        var to = TimeOption("--to", "World date the range ends on (timeline: default the topic's period)");
        root.Subcommands.Add(Assessment(topic));
        root.Subcommands.Add(Sensitivity(topic));
        root.Subcommands.Add(Timeline(topic, from, to));
        root.Subcommands.Add(Changes(topic, from, to));
        root.Subcommands.Add(Coincidence(topic));
        root.Subcommands.Add(Provenance(claim));
        root.Subcommands.Add(Audit(topic));
    }

    private static Command Assessment(Argument<string> topic)
    {
        var assessment = new Command("assessment", "Scores, leading hypothesis, likelihood and confidence at a point in time")
            { topic, AsOf, KnownAt, Judgments, AnalystCommands.Analyst, AnalystCommands.View };
        assessment.SetAction(async (p, ct) => await Run(p, ct, async s =>
        {
            var (a, k) = Times(p);
            if (AnalystCommands.Lens(p) is not { } lens) return Reply.InvalidOption(p, "--view", "invalid_view", "Give --analyst <id> or --view document|consensus, not both.");
            var r = await s.Services.Queries.AssessAsync(p.GetValue(topic)!, a, k, lens, Rules(p), ct);
            if (r is null) return Reply.Fail(p, Problem.UnknownTopic(p.GetValue(topic)!));
            return Reply.Print(p, r, x =>
            {
                AnsiConsole.MarkupLine($"[bold]{Markup.Escape(x.Topic)}[/] as of {x.AsOf:yyyy-MM-dd}, known at {x.KnownAt:u} (position {x.Position})");
                AnsiConsole.MarkupLine($"leading: [green]{x.Leading ?? "none"}[/]   likelihood: {x.Likelihood}{(x.Probability is { } p ? $" (p {p:0.00})" : "")}   confidence: {x.Confidence}");
                AnsiConsole.MarkupLine(Markup.Escape(Basis(x.Basis)));
                var t = new Table().AddColumns("rank", "hypothesis", "inconsistency", "weighted");
                foreach (var h in x.Hypotheses) t.AddRow(h.Rank.ToString(CultureInfo.InvariantCulture), Markup.Escape(h.Label), h.Inconsistency.ToString("0.##", CultureInfo.InvariantCulture), h.WeightedInconsistency.ToString("0.###", CultureInfo.InvariantCulture));
                AnsiConsole.Write(t);
                var e = new Table().AddColumns("published", "item", "type", "src", "cred", "ratings", "diag", "flags");
                foreach (var v in x.Evidence)
                    e.AddRow(v.PublishedAt.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture), Markup.Escape(v.ItemId), v.Type, $"{v.Source} {v.Reliability}", v.Credibility.ToString(CultureInfo.InvariantCulture),
                        string.Join(" ", v.Ratings.OrderBy(kv => kv.Key).Select(kv => $"{kv.Key[..Math.Min(4, kv.Key.Length)]}:{kv.Value}"))
                            + (v.RatingsBy == "document" ? "" : $" ({Markup.Escape(v.RatingsBy)})"),
                        v.Diagnosticity.ToString("0.#", CultureInfo.InvariantCulture), (v.Derivative ? "derivative " : "") + (v.Contested ? "contested" : ""));
                AnsiConsole.Write(e);
            });
        }));
        return assessment;
    }

    private static Command Timeline(Argument<string> topic, Option<string?> from, Option<string?> to)
    {
        var step = new Option<string>("--step") { DefaultValueFactory = _ => "week", Description = "day or week" };
        step.Validators.Add(r =>
        {
            if (r.GetValueOrDefault<string>() is not ("day" or "week")) r.AddError("'--step' is 'day' or 'week'.");
        });
        var timeline = new Command("timeline", "The assessment over a date range, with the points where the lead changed and why") { topic, from, to, step, KnownAt, Judgments };
        timeline.SetAction(async (p, ct) => await Run(p, ct, async s =>
        {
            var t = (await s.Services.Queries.TopicsAsync(ct)).FirstOrDefault(x => x.Id == p.GetValue(topic));
            if (t is null) return Reply.Fail(p, Problem.UnknownTopic(p.GetValue(topic)!));
            var f = p.GetValue(from) is { } fs ? Date(fs) : t.PeriodStart;
            var u = p.GetValue(to) is { } ts ? Date(ts) : t.PeriodEnd;
            if (u < f) return Reply.Fail(p, Reversed($"{f:yyyy-MM-dd}", $"{u:yyyy-MM-dd}"));
            if (u.DayNumber - f.DayNumber > 3660) return Reply.InvalidOption(p, "--to", "range_too_long", "A timeline spans at most ten years.");
            var r = await s.Services.Queries.TimelineAsync(t.Id, f, u, p.GetValue(step) == "day" ? TimelineStep.Day : TimelineStep.Week, Times(p).KnownAt, Rules(p), ct);
            if (r is null) return Reply.Fail(p, Problem.UnknownTopic(t.Id));
            return Reply.Print(p, r, x =>
            {
                var table = new Table().AddColumns(["at", "leading", .. t.Hypotheses.Select(h => h.Id), "robustness", "changed", "causes"]);
                foreach (var pt in x.Points)
                    table.AddRow([pt.At.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture), pt.Leading ?? "-", .. t.Hypotheses.Select(h => pt.Scores.GetValueOrDefault(h.Id).ToString("0.##", CultureInfo.InvariantCulture)),
                        pt.Robustness is { } r ? $"{(pt.RobustnessExact == true ? "" : "≤")}{r}" : "-", pt.Changed ? "[yellow]changed[/]" : "", Markup.Escape(string.Join(", ", pt.Causes))]);
                AnsiConsole.Write(table);
            });
        }));
        return timeline;
    }

    private static Command Changes(Argument<string> topic, Option<string?> from, Option<string?> to)
    {
        var changes = new Command("changes", "What changed between two world dates (--from/--to) and the effect on each score") { topic, from, to, KnownAt, Judgments };
        changes.SetAction(async (p, ct) => await Run(p, ct, async s =>
        {
            if (p.GetValue(from) is not { } fs || p.GetValue(to) is not { } ts)
                return Reply.InvalidOption(p, p.GetValue(from) is null ? "--from" : "--to", "required", "Give --from and --to (world dates).");
            var (f, u) = (Date(fs), Date(ts));
            if (f > u) return Reply.Fail(p, Reversed($"{f:yyyy-MM-dd}", $"{u:yyyy-MM-dd}"));
            var r = await s.Services.Queries.ChangesAsync(p.GetValue(topic)!, f, u, Times(p).KnownAt, Rules(p), ct);
            if (r is null) return Reply.Fail(p, Problem.UnknownTopic(p.GetValue(topic)!));
            return Reply.Print(p, r, x =>
            {
                AnsiConsole.MarkupLine($"leading: {x.LeadingBefore} → [green]{x.LeadingAfter}[/]; added {x.Added.Count}, retracted {x.Retracted.Count}, re-rated {x.Rerated.Count}");
                var t = new Table().AddColumns("hypothesis", "before", "after", "delta");
                foreach (var sc in x.Scores) t.AddRow(sc.Hypothesis, sc.WeightedBefore.ToString("0.###", CultureInfo.InvariantCulture), sc.WeightedAfter.ToString("0.###", CultureInfo.InvariantCulture), sc.Delta.ToString("+0.###;-0.###;0", CultureInfo.InvariantCulture));
                AnsiConsole.Write(t);
                foreach (var i in x.Added) AnsiConsole.MarkupLine($"  + {i.PublishedAt:yyyy-MM-dd} {Markup.Escape(i.ItemId)}");
            });
        }));
        return changes;
    }

    private static Command Sensitivity(Argument<string> topic)
    {
        var sensitivity = new Command("sensitivity", "ACH step 6: each claim removed in turn, the linchpins, and the smallest set of origins whose removal loses the lead, and the most fragile ratings") { topic, AsOf, KnownAt, Judgments };
        sensitivity.SetAction(async (p, ct) => await Run(p, ct, async s =>
        {
            var (a, k) = Times(p);
            var r = await s.Services.Queries.SensitivityAsync(p.GetValue(topic)!, a, k, Rules(p), ct);
            if (r is null) return Reply.Fail(p, Problem.UnknownTopic(p.GetValue(topic)!));
            return Reply.Print(p, r, PrintSensitivity);
        }));
        return sensitivity;
    }

    private static Command Coincidence(Argument<string> topic)
    {
        var coincidence = new Command("coincidence", "Signals against aid-debate windows: n, k, coverage, lift, p-value") { topic, AsOf, KnownAt };
        coincidence.SetAction(async (p, ct) => await Run(p, ct, async s =>
        {
            var (a, k) = Times(p);
            var r = await s.Services.Queries.CoincidenceAsync(p.GetValue(topic)!, a, k, ct);
            if (r is null) return Reply.Fail(p, Problem.UnknownTopic(p.GetValue(topic)!));
            return Reply.Print(p, r, x =>
            {
                AnsiConsole.MarkupLine($"n={x.N} k={x.K} coverage={x.Coverage:0.###} lift={x.Lift:0.###} p={x.PValue:0.####}");
                var t = new Table().AddColumns("published", "signal", "inside", "periods", "days to decision");
                foreach (var sg in x.Signals) t.AddRow(sg.PublishedAt.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture), Markup.Escape(sg.ItemId), sg.Inside ? "yes" : "no", string.Join(", ", sg.Periods), sg.DaysToDecision?.ToString(CultureInfo.InvariantCulture) ?? "");
                AnsiConsole.Write(t);
            });
        }));
        return coincidence;
    }

    private static Command Provenance(Argument<string> claim)
    {
        var provenance = new Command("provenance", "A claim's first appearance, re-reports and independent origins") { claim, AsOf, KnownAt };
        provenance.SetAction(async (p, ct) => await Run(p, ct, async s =>
        {
            var (a, k) = Times(p);
            var r = await s.Services.Queries.ProvenanceAsync(p.GetValue(claim)!, a, k, ct);
            // As the API: a claim nothing mentions (yet, or at all) is not found, rather than an empty answer.
            if (r.Appearances.Count == 0) return Reply.NotFound(p, $"No appearance of claim '{p.GetValue(claim)}' is known as of that date.");
            return Reply.Print(p, r, x =>
            {
                AnsiConsole.MarkupLine($"[bold]{Markup.Escape(x.Claim)}[/]: {x.IndependentOrigins} independent origin(s), first in {Markup.Escape(x.FirstAppearance?.DocumentId ?? "-")}");
                var t = new Table().AddColumns("published", "document", "source", "derivative", "derived from");
                foreach (var ap in x.Appearances) t.AddRow(ap.PublishedAt.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture), Markup.Escape(ap.DocumentId), ap.Source, ap.Derivative ? "yes" : "no", Markup.Escape(ap.DerivedFrom ?? ""));
                AnsiConsole.Write(t);
            });
        }));
        return provenance;
    }

    private static Command Audit(Argument<string> topic)
    {
        var audit = new Command("audit", "The events behind an assessment, replayed and hash-verified") { topic, AsOf, KnownAt };
        audit.SetAction(async (p, ct) => await Run(p, ct, async s =>
        {
            var (a, k) = Times(p);
            var r = await s.Services.Audit.AuditAssessmentAsync(p.GetValue(topic)!, a, k, ct);
            if (r is null) return Reply.Fail(p, Problem.UnknownTopic(p.GetValue(topic)!));
            Reply.Print(p, r, x =>
            {
                AnsiConsole.MarkupLine($"{x.Events.Count} events; replay matches: {(x.ReplayMatches ? "[green]yes[/]" : "[red]NO[/]")}; hash chains: {(x.ChainIntact ? "[green]intact[/]" : "[red]BROKEN[/]")}");
                var t = new Table().AddColumns("position", "stream", "v", "type", "hash");
                foreach (var e in x.Events) t.AddRow(e.Position.ToString(CultureInfo.InvariantCulture), Markup.Escape(e.Stream), e.Version.ToString(CultureInfo.InvariantCulture), e.Type, e.Hash is { Length: >= 16 } h ? h[..16] : "-");
                AnsiConsole.Write(t);
            });
            if (r.ReplayMatches && r.ChainIntact) return ExitCodes.Success;
            Reply.Line($"Verification failed: {(r.ReplayMatches ? "" : "the replay does not match the answer; ")}{(r.ChainIntact ? "" : "a hash chain is broken")}".TrimEnd(' ', ';'));
            return ExitCodes.VerificationFailed;
        }));
        return audit;
    }

    /// <summary>One line: what the likelihood word rests on.</summary>
    private static string Basis(LikelihoodBasis b)
    {
        if (b.Origins == 0 && b.Margin is null) return "basis: no claim counts against any hypothesis";
        var flip = b.FlipSet is { } f ? $"{(b.FlipSetExact ? "" : "at most ")}{f} origin(s) to lose the lead" : "no lead to lose";
        var held = b.HeldBy.Count > 0 ? $"; held below '{b.ModelLikelihood}' by {string.Join(", ", b.HeldBy)}" : "";
        return string.Create(CultureInfo.InvariantCulture,
            $"basis: {b.Origins} independent origin(s) from {b.Sources} source(s) ({b.GoodSources} graded A/B), margin {b.Margin:0.##}, {flip}, agreement {b.Agreement:0.##}{held}");
    }

    private static void PrintSensitivity(SensitivityResult x)
    {
        AnsiConsole.MarkupLine($"[bold]{Markup.Escape(x.Topic)}[/] as of {x.AsOf:yyyy-MM-dd}, known at {x.KnownAt:u}: leading [green]{x.Leading ?? "none"}[/], margin {x.Margin?.ToString("0.###", CultureInfo.InvariantCulture) ?? "-"}");
        var t = new Table().AddColumns("claim", "leading without", "margin without", "linchpin");
        foreach (var c in x.Claims)
            t.AddRow(Markup.Escape(c.Claim), c.LeadingWithout ?? "-", c.MarginWithout?.ToString("0.###", CultureInfo.InvariantCulture) ?? "-", c.Linchpin ? "[red]linchpin[/]" : "");
        AnsiConsole.Write(t);
        AnsiConsole.MarkupLine($"linchpins: {(x.Linchpins.Count == 0 ? "none" : Markup.Escape(string.Join(", ", x.Linchpins)))}");
        AnsiConsole.MarkupLine(x.FlipSet is { } f
            ? $"flip set ({(f.Exact ? "exact" : "bound")}, {f.Origins.Count}): {Markup.Escape(string.Join(", ", f.Origins))}"
            : "flip set: none (no leader)");
    }

    /// <summary><c>narrative timing</c>: do the signals fall just before aid decisions?</summary>
    public static void AddTiming(RootCommand root)
    {
        var topic = new Argument<string>("topic");
        var window = new Option<int>("--window")
        {
            Description = "Days before a decision that count as 'just before'",
            DefaultValueFactory = _ => TimingTest.DefaultWindow,
        };
        window.Validators.Add(r =>
        {
            if (r.GetValueOrDefault<int>() is < 0 or > TimingTest.MaxWindow) r.AddError($"--window is a whole number of days from 0 to {TimingTest.MaxWindow}.");
        });
        var timing = new Command("timing", "Signals against the next aid decision: T of n within the window, chance share q, p-value and power") { topic, AsOf, KnownAt, window };
        timing.SetAction(async (p, ct) => await Run(p, ct, async s =>
        {
            var (a, k) = Times(p);
            var r = await s.Services.Queries.TimingAsync(p.GetValue(topic)!, a, k, p.GetValue(window), ct);
            if (r is null) return Reply.Fail(p, Problem.UnknownTopic(p.GetValue(topic)!));
            return Reply.Print(p, r, PrintTiming);
        }));
        root.Subcommands.Add(timing);
    }

    private static void PrintTiming(TimingResult x)
    {
        AnsiConsole.MarkupLine($"window {x.Window} days: n={x.N} T={x.T} q={x.Q:0.###} p={x.PValue:0.####} power={x.Power:0.##}");
        AnsiConsole.MarkupLine($"windows: {string.Join("  ", x.Windows.Select(w => $"W={w.Window}: T={w.T} q={w.Q:0.##} p={w.PValue:0.###}"))}  smallest p adjusted for 3 looks: {x.MinPAdjusted:0.###}");
        AnsiConsole.MarkupLine(Markup.Escape(x.Reading));
        var t = new Table().AddColumns("published", "signal", "next decision", "days before");
        foreach (var sg in x.Signals)
            t.AddRow(sg.PublishedAt.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture), Markup.Escape(sg.ItemId), Markup.Escape(sg.NextMilestone ?? "none"),
                sg.DaysToMilestone?.ToString(CultureInfo.InvariantCulture) ?? "");
        AnsiConsole.Write(t);
    }

    internal static (DateTimeOffset AsOf, DateTimeOffset KnownAt) Times(ParseResult p) =>
        (Instant(p.GetValue(AsOf)), Instant(p.GetValue(KnownAt)));

    /// <summary>An ISO 8601 time option; a value that does not parse is a parse error (exit code 2) in the API's words.</summary>
    private static Option<string> JudgmentsOption()
    {
        var o = new Option<string>("--judgments")
        {
            Description = "exclude (default): analytic judgments sit in their own lane, unscored; include: score them as evidence",
            DefaultValueFactory = _ => "exclude",
        };
        o.AcceptOnlyFromAmong("exclude", "include");
        return o;
    }

    private static ScoringRules Rules(ParseResult p) => p.GetValue(Judgments) == "include" ? ScoringRules.WithJudgments : ScoringRules.Default;

    private static Option<string?> TimeOption(string name, string description)
    {
        var option = new Option<string?>(name) { Description = description };
        option.Validators.Add(r =>
        {
            if (r.GetValueOrDefault<string?>() is { } text && !TryInstant(text, out _)) r.AddError(Problem.InvalidTime(name).Detail!);
        });
        return option;
    }

    private static bool TryInstant(string text, out DateTimeOffset value)
    {
        if (DateOnly.TryParseExact(text, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var d))
        {
            value = WorldQueries.EndOfDay(d);
            return true;
        }
        return DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out value);
    }

    /// <summary>Validated by <see cref="TimeOption"/> at parse time.</summary>
    private static DateTimeOffset Instant(string? text) =>
        text is null ? DateTimeOffset.UtcNow : TryInstant(text, out var t) ? t : throw new ProblemException(Problem.InvalidTime("--as-of"));

    private static DateOnly Date(string text) =>
        DateOnly.TryParseExact(text, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var d) ? d : DateOnly.FromDateTime(Instant(text).UtcDateTime);

    /// <summary>A range whose start is after its end, as the API words it.</summary>
    private static Problem Reversed(string from, string to) => new(400, "The query is not valid", $"'--from' ({from}) is after '--to' ({to}); give the earlier time first.",
    [
        new FieldError("--from", "range_order", $"'--from' ({from}) is after '--to' ({to}); give the earlier time first."),
        new FieldError("--to", "range_order", $"'--to' ({to}) is before '--from' ({from}); give the earlier time first."),
    ]);

    internal static async Task<int> Run(ParseResult p, CancellationToken ct, Func<Session, Task<int>> body)
    {
        await using var s = await Session.OpenAsync(p.GetValue(CliApp.Db), project: false, ct);
        await s.WarnIfBehindAsync(ct);
        return await body(s);
    }
}
