using System.CommandLine;
using System.Globalization;
using Narrative.Analysis.Ingestion;
using Narrative.Domain.Corpus;
using Narrative.Domain.Replay;
using Spectre.Console;

namespace Narrative.Cli.Commands;

/// <summary>The ACH method's writes and reads: revise a hypothesis set, regrade a source, set and list signposts.</summary>
public static class MethodCommands
{
    private static readonly Option<string?> AsOf = new("--as-of") { Description = "World time (date = end of that day, UTC); default now" };
    private static readonly Option<string?> KnownAt = new("--known-at") { Description = "System time: what the system knew then; default now" };

    public static void Add(RootCommand root)
    {
        root.Subcommands.Add(Hypotheses());
        root.Subcommands.Add(Regrade());
        root.Subcommands.Add(SignpostSet());
        root.Subcommands.Add(Signposts());
    }

    private static Command Hypotheses()
    {
        var topic = new Argument<string>("topic");
        var reason = new Option<string>("--reason") { Description = "Why the set changes", Required = true };
        var add = new Option<string[]>("--add") { Description = "id=label of a new hypothesis (repeatable)", AllowMultipleArgumentsPerToken = true };
        var retire = new Option<string[]>("--retire") { Description = "id of a hypothesis to retire (repeatable)", AllowMultipleArgumentsPerToken = true };
        var split = new Option<string[]>("--split") { Description = "from=part1,part2: split a hypothesis (repeatable)", AllowMultipleArgumentsPerToken = true };
        var command = new Command("hypotheses", "Revise a topic's hypothesis set (add, retire, split); earlier answers do not change") { topic, reason, add, retire, split };
        command.SetAction(async (p, ct) => await Write(p, ct, s => s.Services.Ingestion.ReviseHypothesesAsync(p.GetValue(topic)!,
            new HypothesisRevisionInput(p.GetValue(reason),
                [.. (p.GetValue(add) ?? []).Select(a => a.Split('=', 2)).Select(a => new HypothesisInput(a[0], a.Length > 1 ? a[1] : null, null))],
                p.GetValue(retire) ?? [],
                [.. (p.GetValue(split) ?? []).Select(x => x.Split('=', 2)).Select(x => new HypothesisSplitInput(x[0], x.Length > 1 ? x[1].Split(',') : []))]),
            Who(), ct)));
        return command;
    }

    private static Command Regrade()
    {
        var source = new Argument<string>("source");
        var grade = new Argument<string>("reliability") { Description = "The new Admiralty grade, A to F" };
        var reason = new Option<string>("--reason") { Description = "Why the grade changes", Required = true };
        var command = new Command("regrade", "Regrade a source (appends narrative.source_regraded.v1; earlier answers do not change)") { source, grade, reason };
        command.SetAction(async (p, ct) => await Write(p, ct, s =>
            s.Services.Ingestion.RegradeSourceAsync(p.GetValue(source)!, p.GetValue(grade)!, p.GetValue(reason)!, Who(), ct)));
        return command;
    }

    private static Command SignpostSet()
    {
        var topic = new Argument<string>("topic");
        var file = new Argument<string>("file") { Description = "A signpost as JSON (the body of POST /api/topics/{topic}/signposts)" };
        var command = new Command("signpost", "Set a signpost on a topic (Heuer's step 8)") { topic, file };
        command.SetAction(async (p, ct) =>
        {
            var (input, errors) = CorpusJson.Parse<SignpostInput>(await File.ReadAllBytesAsync(p.GetValue(file)!, ct));
            if (input is null) return Session.Fail(string.Join("; ", errors.Select(e => $"{e.Field}: {e.Message}")));
            return await Write(p, ct, s => s.Services.Ingestion.SetSignpostAsync(p.GetValue(topic)!, input, Who(), ct));
        });
        return command;
    }

    private static Command Signposts()
    {
        var topic = new Argument<string>("topic");
        var command = new Command("signposts", "A topic's signposts and their status (open, matched, expired) at a point in time") { topic, AsOf, KnownAt };
        command.SetAction(async (p, ct) =>
        {
            await using var s = await Session.OpenAsync(p.GetValue(CliApp.Db), project: false, ct);
            await s.WarnIfBehindAsync(ct);
            var r = await s.Services.Queries.SignpostsAsync(p.GetValue(topic)!, Instant(p.GetValue(AsOf)), Instant(p.GetValue(KnownAt)), ct);
            if (r is null) return Session.Fail($"unknown topic {p.GetValue(topic)}");
            Session.Print(r, p.GetValue(CliApp.Json), x =>
            {
                var t = new Table().AddColumns("signpost", "hypothesis", "expect", "window", "status", "outcome", "matches");
                foreach (var sp in x.Signposts)
                    t.AddRow(Markup.Escape(sp.Id), Markup.Escape(sp.Hypothesis), sp.Expect, $"{sp.From:yyyy-MM-dd} to {sp.Deadline:yyyy-MM-dd}", sp.Status,
                        sp.Outcome ?? "", Markup.Escape(string.Join(", ", sp.Matches.Select(m => $"{m.ItemId} ({m.PublishedAt:yyyy-MM-dd})"))));
                AnsiConsole.Write(t);
            });
            return 0;
        });
        return command;
    }

    private static IngestContext Who() => new($"cli:{Environment.UserName}", $"cli-{Guid.NewGuid():N}");

    private static DateTimeOffset Instant(string? text) =>
        text is null ? DateTimeOffset.UtcNow
        : DateOnly.TryParseExact(text, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var d) ? WorldQueries.EndOfDay(d)
        : DateTimeOffset.Parse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal);

    private static async Task<int> Write(ParseResult p, CancellationToken ct, Func<Session, Task<IngestResult>> write)
    {
        await using var s = await Session.OpenAsync(p.GetValue(CliApp.Db), project: true, ct);
        var r = await write(s);
        await s.CatchUpAsync(ct);
        if (r.Status is IngestStatus.Created or IngestStatus.Unchanged)
        {
            AnsiConsole.MarkupLine($"{(r.Status == IngestStatus.Created ? "[green]written[/]" : "unchanged")} {Markup.Escape(r.Stream)} (version {r.Version})");
            return 0;
        }
        return Session.Fail($"{r.Status}: {r.Message} {string.Join("; ", r.Errors.Select(e => $"{e.Field}: {e.Message}"))}");
    }
}
