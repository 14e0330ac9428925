using System.CommandLine;
using System.Globalization;
using Narrative.Storage.Handlers;
using Narrative.Storage.Subscriptions;
using Spectre.Console;

namespace Narrative.Cli.Commands;

/// <summary>Operator commands: projections, handlers, dead letters and log verification.</summary>
public static class AdminCommands
{
    public static void Add(RootCommand root)
    {
        var projections = new Command("projections", "Projection status and rebuilds");
        var status = new Command("status", "Position, lag, owner, state and last error of every projection and handler");
        status.SetAction(async (p, ct) =>
        {
            await using var s = await Session.OpenAsync(p.GetValue(CliApp.Db), ct);
            var rows = await SubscriptionStatusQuery.ReadAsync(s.Services.DataSource, ct);
            Session.Print(rows, p.GetValue(CliApp.Json), x =>
            {
                var t = new Table().AddColumns("name", "kind", "state", "position", "lag", "owner", "last error");
                foreach (var r in x)
                    t.AddRow(r.Name, r.Kind, r.State, r.Position.ToString(CultureInfo.InvariantCulture), r.Lag.ToString(CultureInfo.InvariantCulture),
                        Markup.Escape(r.Owner ?? "-"), Markup.Escape(r.LastError ?? ""));
                AnsiConsole.Write(t);
            });
            return 0;
        });
        var name = new Argument<string>("name");
        var rebuild = new Command("rebuild", "Replay the log into fresh tables, then swap them in") { name };
        rebuild.SetAction(async (p, ct) =>
        {
            await using var s = await Session.OpenAsync(p.GetValue(CliApp.Db), ct);
            if (s.Services.Projection(p.GetValue(name)!) is not { } projection)
                return Session.Fail($"no projection '{p.GetValue(name)}' (known: {string.Join(", ", s.Services.Projections.Select(x => x.Name))})");
            await AnsiConsole.Progress().Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn())
                .StartAsync(async ctx =>
                {
                    var bar = ctx.AddTask($"rebuilding {projection.Name}", maxValue: 1);
                    await ProjectionRebuilder.RebuildAsync(s.Services.Store, projection,
                        new Progress<RebuildProgress>(r => { bar.MaxValue = Math.Max(1, r.Total); bar.Value = r.Processed; }), ct);
                    bar.Value = bar.MaxValue;
                });
            AnsiConsole.MarkupLine("[green]rebuilt and swapped in[/]");
            return 0;
        });
        projections.Subcommands.Add(status);
        projections.Subcommands.Add(rebuild);
        root.Subcommands.Add(projections);

        var handlers = new Command("handlers", "Handler status");
        var hstatus = new Command("status", "Position, lag, owner, attempts, last error and dead letters per handler");
        hstatus.SetAction(async (p, ct) =>
        {
            await using var s = await Session.OpenAsync(p.GetValue(CliApp.Db), ct);
            var rows = await HandlerStatusQuery.ReadAsync(s.Services.DataSource, ct, s.Services.Handlers);
            Session.Print(rows, p.GetValue(CliApp.Json), x =>
            {
                var t = new Table().AddColumns("handler", "state", "position", "lag", "owner", "dead letters", "last error");
                foreach (var r in x)
                    t.AddRow(r.Name, r.State, r.Position.ToString(CultureInfo.InvariantCulture), r.Lag.ToString(CultureInfo.InvariantCulture), Markup.Escape(r.Owner ?? "-"),
                        r.OpenDeadLetters.ToString(CultureInfo.InvariantCulture), Markup.Escape(r.LastError ?? ""));
                AnsiConsole.Write(t);
            });
            return 0;
        });
        handlers.Subcommands.Add(hstatus);
        root.Subcommands.Add(handlers);

        var dead = new Command("dead-letters", "Events a handler gave up on");
        var list = new Command("list", "List dead letters, newest first");
        list.SetAction(async (p, ct) =>
        {
            await using var s = await Session.OpenAsync(p.GetValue(CliApp.Db), ct);
            var rows = await s.Services.DeadLetters.ListAsync(ct);
            Session.Print(rows, p.GetValue(CliApp.Json), x =>
            {
                var t = new Table().AddColumns("id", "handler", "event", "attempts", "error", "replayed");
                foreach (var d in x)
                    t.AddRow(d.Id.ToString(CultureInfo.InvariantCulture), d.Handler, $"{d.Position} {d.EventType}", d.Attempts.ToString(CultureInfo.InvariantCulture),
                        Markup.Escape(d.ErrorMessage), d.ReplayedAt?.ToString("u", CultureInfo.InvariantCulture) ?? "");
                AnsiConsole.Write(t);
            });
            return 0;
        });
        var id = new Argument<long>("id");
        var replay = new Command("replay", "Run the handler on the event again (after a fix)") { id };
        replay.SetAction(async (p, ct) =>
        {
            await using var s = await Session.OpenAsync(p.GetValue(CliApp.Db), ct);
            var r = await s.Services.DeadLetters.ReplayAsync(p.GetValue(id), ct);
            AnsiConsole.MarkupLine($"{r.Outcome} {Markup.Escape(r.Error ?? "")}");
            return r.Outcome is ReplayOutcome.Replayed or ReplayOutcome.AlreadyHandled ? 0 : 1;
        });
        dead.Subcommands.Add(list);
        dead.Subcommands.Add(replay);
        root.Subcommands.Add(dead);

        var verify = new Command("verify", "Recompute every hash chain of the log and report what does not hold");
        verify.SetAction(async (p, ct) =>
        {
            await using var s = await Session.OpenAsync(p.GetValue(CliApp.Db), ct);
            var total = await s.Services.Store.CountAsync(ct);
            IReadOnlyList<Narrative.Storage.VerificationFailure> failures = [];
            await AnsiConsole.Progress().Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn())
                .StartAsync(async ctx =>
                {
                    var bar = ctx.AddTask("verifying", maxValue: Math.Max(1, total));
                    failures = await s.Services.Store.VerifyAsync(ct, progress: new Progress<long>(n => bar.Value = n));
                    bar.Value = bar.MaxValue;
                });
            foreach (var f in failures) AnsiConsole.MarkupLine($"[red]{f.Position}[/] {Markup.Escape(f.StreamId)} v{f.Version}: {Markup.Escape(f.Reason)}");
            AnsiConsole.MarkupLine(failures.Count == 0 ? "[green]every hash chain holds[/]" : $"[red]{failures.Count} event(s) fail verification[/]");
            return failures.Count == 0 ? 0 : 2;
        });
        root.Subcommands.Add(verify);
    }
}
