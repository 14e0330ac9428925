using System.CommandLine;
using System.Globalization;
using Narrative.Analysis;
using Narrative.Storage;
using Narrative.Storage.Rebuilds;
using Spectre.Console;

namespace Narrative.Cli.Commands;

/// <summary>Operator commands: projections, handlers, dead letters and log verification.</summary>
public static class AdminCommands
{
    public static void Add(RootCommand root)
    {
        var projections = new Command("projections", "Projection status and rebuilds");
        var status = new Command("status", "Position, lag and state of every Marten shard: the analysis projection, the relay to the handlers, the high-water mark");
        status.SetAction(async (p, ct) =>
        {
            await using var s = await Session.OpenAsync(p.GetValue(CliApp.Db), project: false, ct);
            var rows = await s.Services.StatusAsync(ct);
            Session.Print(rows, p.GetValue(CliApp.Json), x =>
            {
                var t = new Table().AddColumns("name", "kind", "state", "position", "lag", "updated", "skipped gaps");
                foreach (var r in x)
                    t.AddRow(r.Name, r.Kind, r.State, r.Position.ToString(CultureInfo.InvariantCulture), r.Lag.ToString(CultureInfo.InvariantCulture),
                        r.UpdatedAt?.ToString("u", CultureInfo.InvariantCulture) ?? "-",
                        Markup.Escape(string.Join(", ", r.Skips.Select(g => $"{g.From}-{g.To}"))));
                AnsiConsole.Write(t);
            });
            return 0;
        });
        var name = new Argument<string>("name");
        var rebuild = new Command("rebuild", "Replay the log into fresh tables, then swap them in") { name };
        rebuild.SetAction(async (p, ct) =>
        {
            // No daemon here: the rebuild agrees with whichever daemon runs (the API's) through the progression row.
            await using var s = await Session.OpenAsync(p.GetValue(CliApp.Db), project: false, ct);
            if (s.Services.Rebuildable(p.GetValue(name)!) is not { } projection)
                return Session.Fail($"no projection '{p.GetValue(name)}' (known: {s.Services.Projection.Name})");
            await AnsiConsole.Progress().Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn())
                .StartAsync(async ctx =>
                {
                    var bar = ctx.AddTask($"rebuilding {projection.Name}", maxValue: 1);
                    await s.Services.RebuildAsync(projection,
                        new Progress<RebuildProgress>(r => { bar.MaxValue = Math.Max(1, r.Total); bar.Value = r.Processed; }), ct);
                    bar.Value = bar.MaxValue;
                });
            AnsiConsole.MarkupLine("[green]rebuilt and swapped in[/]");
            return 0;
        });
        projections.Subcommands.Add(status);
        projections.Subcommands.Add(rebuild);
        root.Subcommands.Add(projections);

        // The handlers are Wolverine's now: one relay shard feeds them all, so their status is that shard's row plus
        // Wolverine's dead letters; per-handler positions and owners no longer exist.
        var handlers = new Command("handlers", "Handler status");
        var hstatus = new Command("status", "Position and lag of the relay to the handlers, and how many dead letters there are");
        hstatus.SetAction(async (p, ct) =>
        {
            await using var s = await Session.OpenAsync(p.GetValue(CliApp.Db), project: false, ct);
            var relay = (await s.Services.StatusAsync(ct)).FirstOrDefault(r => r.Name == NarrativeHosting.RelayName);
            var deadLetters = (await s.Services.DeadLetters.ListAsync(ct, limit: 1000)).Count;
            var row = new HandlerStatus(NarrativeHosting.RelayName, relay?.State ?? "not started", relay?.Position ?? 0,
                relay?.Lag ?? await s.Services.Log.HeadAsync(ct), relay?.UpdatedAt, deadLetters);
            Session.Print(row, p.GetValue(CliApp.Json), x =>
            {
                var t = new Table().AddColumns("relay", "state", "position", "lag", "updated", "dead letters");
                t.AddRow(x.Name, x.State, x.Position.ToString(CultureInfo.InvariantCulture), x.Lag.ToString(CultureInfo.InvariantCulture),
                    x.UpdatedAt?.ToString("u", CultureInfo.InvariantCulture) ?? "-",
                    x.DeadLetters >= 1000 ? "1000+" : x.DeadLetters.ToString(CultureInfo.InvariantCulture));
                AnsiConsole.Write(t);
            });
            return 0;
        });
        handlers.Subcommands.Add(hstatus);
        root.Subcommands.Add(handlers);

        var dead = new Command("dead-letters", "Handler messages Wolverine gave up on");
        var list = new Command("list", "List dead letters");
        list.SetAction(async (p, ct) =>
        {
            await using var s = await Session.OpenAsync(p.GetValue(CliApp.Db), project: false, ct);
            var rows = await s.Services.DeadLetters.ListAsync(ct);
            Session.Print(rows, p.GetValue(CliApp.Json), x =>
            {
                var t = new Table().AddColumns("id", "queue", "message", "failed", "error", "replayable", "replays");
                foreach (var d in x)
                    t.AddRow(d.Id.ToString(), Markup.Escape(d.Queue ?? "-"), Markup.Escape(d.MessageType),
                        d.FailedAt?.ToString("u", CultureInfo.InvariantCulture) ?? "",
                        Markup.Escape($"{d.ExceptionType}: {d.ExceptionMessage}"), d.Replayable ? "yes" : "no", d.ReplayCount.ToString(CultureInfo.InvariantCulture));
                AnsiConsole.Write(t);
            });
            return 0;
        });
        var id = new Argument<string>("id") { Description = "The dead letter's id (a GUID, as `dead-letters list` shows it)" };
        var replay = new Command("replay", "Run the handler on the message again (after a fix)") { id };
        replay.SetAction(async (p, ct) =>
        {
            // Parsed here rather than as Argument<Guid>, so a wrong id gets the same plain error as an unknown one.
            var text = p.GetValue(id)!;
            if (!Guid.TryParse(text, out var guid)) return Session.Fail($"no dead letter '{text}': dead-letter ids are GUIDs (see `narrative dead-letters list`)");
            await using var s = await Session.OpenAsync(p.GetValue(CliApp.Db), project: false, ct);
            if (await s.Services.DeadLetters.ReplayAsync(guid, ct) == ReplayOutcome.NotFound)
                return Session.Fail($"no dead letter {guid} (see `narrative dead-letters list`)");
            // Wolverine's durability agent on the node that runs the daemon (the API) moves it back into the inbox.
            AnsiConsole.MarkupLine($"[green]marked for replay[/] {guid}: the running API's handlers pick it up");
            return 0;
        });
        dead.Subcommands.Add(list);
        dead.Subcommands.Add(replay);
        root.Subcommands.Add(dead);

        var verify = new Command("verify", "Recompute every hash chain of the log and report what does not hold");
        verify.SetAction(async (p, ct) =>
        {
            await using var s = await Session.OpenAsync(p.GetValue(CliApp.Db), project: false, ct);
            var total = await s.Services.Log.CountAsync(ct);
            IReadOnlyList<VerificationFailure> failures = [];
            await AnsiConsole.Progress().Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn())
                .StartAsync(async ctx =>
                {
                    var bar = ctx.AddTask("verifying", maxValue: Math.Max(1, total));
                    failures = await s.Services.Log.VerifyAsync(ct, progress: new Progress<long>(n => bar.Value = n));
                    bar.Value = bar.MaxValue;
                });
            foreach (var f in failures) AnsiConsole.MarkupLine($"[red]{f.Position}[/] {Markup.Escape(f.StreamId)} v{f.Version}: {Markup.Escape(f.Reason)}");
            AnsiConsole.MarkupLine(failures.Count == 0 ? "[green]every hash chain holds[/]" : $"[red]{failures.Count} event(s) fail verification[/]");
            return failures.Count == 0 ? 0 : 2;
        });
        root.Subcommands.Add(verify);
    }

    /// <summary>`handlers status`: the relay shard that feeds Wolverine's handlers, and the dead letters they left.</summary>
    public sealed record HandlerStatus(string Name, string State, long Position, long Lag, DateTimeOffset? UpdatedAt, int DeadLetters);
}
