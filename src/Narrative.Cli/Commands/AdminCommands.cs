using System.CommandLine;
using System.Globalization;
using Narrative.Analysis;
using Narrative.Cli.Output;
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
            var rows = await s.Services.StatusWithInboxAsync(ct);
            return Reply.Print(p, rows, x =>
            {
                var t = new Table().AddColumns("name", "kind", "state", "position", "lag", "queued", "updated", "skipped gaps");
                foreach (var r in x)
                    t.AddRow(r.Name, r.Kind, r.State, r.Position.ToString(CultureInfo.InvariantCulture), r.Lag.ToString(CultureInfo.InvariantCulture),
                        r.Queued?.ToString(CultureInfo.InvariantCulture) ?? "-", r.UpdatedAt?.ToString("u", CultureInfo.InvariantCulture) ?? "-",
                        Markup.Escape(string.Join(", ", r.Skips.Select(g => $"{g.From}-{g.To}"))));
                AnsiConsole.Write(t);
            });
        });
        var name = new Argument<string>("name");
        var rebuild = new Command("rebuild", "Replay the log into fresh tables, then swap them in") { name };
        rebuild.SetAction(async (p, ct) =>
        {
            // No daemon here: the rebuild agrees with whichever daemon runs (the API's) through the progression row.
            await using var s = await Session.OpenAsync(p.GetValue(CliApp.Db), project: false, ct);
            if (s.Services.Rebuildable(p.GetValue(name)!) is not { } projection)
                return Reply.NotFound(p, $"No projection named '{p.GetValue(name)}'.");
            var events = await CliProgress.RunAsync($"rebuild {projection.Name}", 0, perTenth: true, async progress =>
            {
                long total = 0;
                await s.Services.RebuildAsync(projection, CliProgress.Inline<RebuildProgress>(r =>
                {
                    if (r.Total != total) progress.SetTotal(total = r.Total);
                    progress.Report(r.Processed);
                }), ct);
                progress.Phase("swapped in");
                return total;
            });
            return Reply.Print(p, new RebuildResult(projection.Name, "rebuilt", events), _ => AnsiConsole.MarkupLine($"[green]rebuilt and swapped in[/] {Markup.Escape(projection.Name)}"));
        });
        projections.Subcommands.Add(status);
        projections.Subcommands.Add(rebuild);
        root.Subcommands.Add(projections);

        // The handlers are Wolverine's now: one relay shard feeds them all, so their status is that shard's row plus
        // Wolverine's dead letters; per-handler positions and owners no longer exist.
        var handlers = new Command("handlers", "Handler status");
        var hstatus = new Command("status", "Position and lag of the relay to the handlers, the messages waiting in Wolverine's inbox, and the dead letters");
        hstatus.SetAction(async (p, ct) =>
        {
            await using var s = await Session.OpenAsync(p.GetValue(CliApp.Db), project: false, ct);
            var relay = (await s.Services.StatusAsync(ct)).FirstOrDefault(r => r.Name == NarrativeHosting.RelayName);
            var inbox = await s.Services.Inbox.CountAsync();
            var row = new HandlerStatus(NarrativeHosting.RelayName, relay?.State ?? "not started", relay?.Position ?? 0,
                relay?.Lag ?? await s.Services.Log.HeadAsync(ct), relay?.UpdatedAt, inbox.Queued, inbox.DeadLetters);
            return Reply.Print(p, row, x =>
            {
                var t = new Table().AddColumns("relay", "state", "position", "lag", "queued", "updated", "dead letters");
                t.AddRow(x.Name, x.State, x.Position.ToString(CultureInfo.InvariantCulture), x.Lag.ToString(CultureInfo.InvariantCulture),
                    x.Queued.ToString(CultureInfo.InvariantCulture), x.UpdatedAt?.ToString("u", CultureInfo.InvariantCulture) ?? "-",
                    x.DeadLetters.ToString(CultureInfo.InvariantCulture));
                AnsiConsole.Write(t);
            });
        });
        handlers.Subcommands.Add(hstatus);
        root.Subcommands.Add(handlers);

        var dead = new Command("dead-letters", "Handler messages Wolverine gave up on");
        var list = new Command("list", "List dead letters");
        list.SetAction(async (p, ct) =>
        {
            await using var s = await Session.OpenAsync(p.GetValue(CliApp.Db), project: false, ct);
            var rows = await s.Services.DeadLetters.ListAsync(ct);
            return Reply.Print(p, rows, x =>
            {
                var t = new Table().AddColumns("id", "queue", "message", "failed", "error", "replayable", "replays");
                foreach (var d in x)
                    t.AddRow(d.Id.ToString(), Markup.Escape(d.Queue ?? "-"), Markup.Escape(d.MessageType),
                        d.FailedAt?.ToString("u", CultureInfo.InvariantCulture) ?? "",
                        Markup.Escape($"{d.ExceptionType}: {d.ExceptionMessage}"), d.Replayable ? "yes" : "no", d.ReplayCount.ToString(CultureInfo.InvariantCulture));
                AnsiConsole.Write(t);
            });
        });
        var id = new Argument<string>("id") { Description = "The dead letter's id (a GUID, as `dead-letters list` shows it)" };
        var replay = new Command("replay", "Run the handler on the message again (after a fix)") { id };
        replay.SetAction(async (p, ct) =>
        {
            // Parsed here rather than as Argument<Guid>, so a wrong id gets the same plain error as an unknown one.
            var text = p.GetValue(id)!;
            if (!Guid.TryParse(text, out var guid)) return Reply.NotFound(p, $"No dead letter {text}: dead-letter ids are GUIDs.");
            await using var s = await Session.OpenAsync(p.GetValue(CliApp.Db), project: false, ct);
            if (await s.Services.DeadLetters.ReplayAsync(guid, ct) == ReplayOutcome.NotFound) return Reply.NotFound(p, $"No dead letter {text}.");
            // Wolverine's durability agent on the node that runs the daemon (the API) moves it back into the inbox.
            return Reply.Print(p, new ReplayResult("Replayed", guid),
                x => AnsiConsole.MarkupLine($"[green]marked for replay[/] {x.Id}: the running API's handlers pick it up"));
        });
        dead.Subcommands.Add(list);
        dead.Subcommands.Add(replay);
        root.Subcommands.Add(dead);

        var verify = new Command("verify", "Recompute every hash chain of the log and report what does not hold");
        verify.SetAction(async (p, ct) =>
        {
            await using var s = await Session.OpenAsync(p.GetValue(CliApp.Db), project: false, ct);
            var total = await s.Services.Log.CountAsync(ct);
            var failures = await CliProgress.RunAsync("verify", total, perTenth: true,
                progress => s.Services.Log.VerifyAsync(ct, progress: CliProgress.Inline<long>(n => progress.Report(n))));
            Reply.Print(p, new VerifyResult(total, failures.Count == 0, failures), x =>
            {
                foreach (var f in x.Failures) AnsiConsole.MarkupLine($"[red]{f.Position}[/] {Markup.Escape(f.StreamId)} v{f.Version}: {Markup.Escape(f.Reason)}");
                AnsiConsole.MarkupLine(x.Intact ? $"[green]every hash chain holds[/] ({x.Events} events)" : $"[red]{x.Failures.Count} event(s) fail verification[/]");
            });
            if (failures.Count == 0) return ExitCodes.Success;
            Reply.Line($"Verification failed: {failures.Count} event(s) do not verify.");
            return ExitCodes.VerificationFailed;
        });
        root.Subcommands.Add(verify);
    }

    public sealed record RebuildResult(string Projection, string Status, long Events);

    /// <summary>As the API's answer to POST /api/admin/dead-letters/{id}/replay.</summary>
    public sealed record ReplayResult(string Outcome, Guid Id);

    public sealed record VerifyResult(long Events, bool Intact, IReadOnlyList<VerificationFailure> Failures);

    /// <summary>
    /// `handlers status`: the relay shard that feeds Wolverine's handlers, the messages waiting in Wolverine's inbox
    /// (the backlog when ingest outruns the handlers; the relay's lag does not show it), and the dead letters they left.
    /// </summary>
    public sealed record HandlerStatus(string Name, string State, long Position, long Lag, DateTimeOffset? UpdatedAt, int Queued, int DeadLetters);
}
