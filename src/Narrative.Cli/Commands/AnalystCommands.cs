using System.CommandLine;
using System.Globalization;
using Narrative.Analysis.Analysts;
using Narrative.Analysis.Ingestion;
using Narrative.Domain.Analysts;
using Narrative.Cli.Output;
using Narrative.Domain.Corpus;
using Spectre.Console;

namespace Narrative.Cli.Commands;

/// <summary>
/// Several analysts on one topic: `analysts add|revoke|rotate|list` (an admin's work, straight on the database like
/// `ingest`), `disagreement`, and the `--analyst` / `--view` options of `assessment`.
/// </summary>
public static class AnalystCommands
{
    public static readonly Option<string?> Analyst = new("--analyst") { Description = "Score this analyst's ratings (the document's fill the cells they did not rate)" };
    public static readonly Option<string?> View = new("--view") { Description = "document (default) or consensus: the median of the analysts' ratings per cell" };

    /// <summary>The lens the options ask for; null when both an analyst and another view are given.</summary>
    public static RatingsLens? Lens(ParseResult p) => (p.GetValue(Analyst), p.GetValue(View)) switch
    {
        ({ Length: > 0 } a, null or "" or RatingsLens.AnalystKind) => RatingsLens.Of(a),
        ({ Length: > 0 }, _) => null,
        (_, RatingsLens.ConsensusKind) => RatingsLens.Consensus,
        (_, null or "" or RatingsLens.DocumentKind) => RatingsLens.Document,
        _ => null,
    };

    public static void Add(RootCommand root)
    {
        var analysts = new Command("analysts", "Analysts and their API keys");
        var id = new Argument<string>("id") { Description = "The analyst's id (a slug, e.g. alice)" };
        var name = new Option<string>("--name") { Description = "The analyst's name", Required = true };
        var add = new Command("add", "Create an analyst and print their API key (shown once: only its hash is kept)") { id, name };
        add.SetAction(async (p, ct) =>
        {
            await using var s = await Session.OpenAsync(p.GetValue(CliApp.Db), project: false, ct);
            var r = await s.Services.Analysts.RegisterAsync(new AnalystInput(p.GetValue(id), p.GetValue(name)), Who(), ct);
            return r.Outcome switch
            {
                AnalystOutcome.Created => PrintKey(p, r, "created"),
                AnalystOutcome.Conflict => Reply.Fail(p, Problem.Conflict(r.Message)),
                _ => Reply.Fail(p, Problem.Invalid(r.Errors ?? [])),
            };
        });
        var reason = new Option<string?>("--reason") { Description = "Why (kept in the revocation event)" };
        var revoke = new Command("revoke", "Revoke an analyst's key: it gets 401 from now on (their ratings stay)") { id, reason };
        revoke.SetAction(async (p, ct) =>
        {
            await using var s = await Session.OpenAsync(p.GetValue(CliApp.Db), project: false, ct);
            var r = await s.Services.Analysts.RevokeAsync(p.GetValue(id)!, p.GetValue(reason), Who(), ct);
            if (r.Outcome == AnalystOutcome.NotFound) return Reply.NotFound(p, r.Message!);
            return Reply.Print(p, new { id = r.Id, revoked = true }, _ => AnsiConsole.MarkupLine($"[green]revoked[/] the key of {Markup.Escape(r.Id)}"));
        });
        var rotate = new Command("rotate", "Issue a new key for an analyst; the old one stops working at once") { id };
        rotate.SetAction(async (p, ct) =>
        {
            await using var s = await Session.OpenAsync(p.GetValue(CliApp.Db), project: false, ct);
            var r = await s.Services.Analysts.RotateAsync(p.GetValue(id)!, Who(), ct);
            return r.Outcome == AnalystOutcome.NotFound ? Reply.NotFound(p, r.Message!) : PrintKey(p, r, "rotated");
        });
        var list = new Command("list", "The analysts (never their keys)");
        list.SetAction(async (p, ct) =>
        {
            await using var s = await Session.OpenAsync(p.GetValue(CliApp.Db), project: false, ct);
            return Reply.Print(p, await s.Services.Analysts.ListAsync(ct), x =>
            {
                var t = new Table().AddColumns("id", "name", "key");
                foreach (var a in x) t.AddRow(Markup.Escape(a.Id), Markup.Escape(a.Name), a.Revoked ? "[red]revoked[/]" : "live");
                AnsiConsole.Write(t);
            });
        });
        foreach (var c in new[] { add, revoke, rotate, list }) analysts.Subcommands.Add(c);
        root.Subcommands.Add(analysts);
        root.Subcommands.Add(Disagreement());
    }

    private static Command Disagreement()
    {
        var topic = new Argument<string>("topic");
        var command = new Command("disagreement", "Where the analysts disagree: spread per claim, the most disputed claims, each analyst's leader against the consensus")
            { topic, QueryCommands.AsOf, QueryCommands.KnownAt };
        command.SetAction(async (p, ct) => await QueryCommands.Run(p, ct, async s =>
        {
            var (a, k) = QueryCommands.Times(p);
            if (await s.Services.Queries.DisagreementAsync(p.GetValue(topic)!, a, k, ct) is not { } r) return Reply.Fail(p, Problem.UnknownTopic(p.GetValue(topic)!));
            return Reply.Print(p, r, x =>
            {
                AnsiConsole.MarkupLine($"[bold]{Markup.Escape(x.Topic)}[/] as of {x.AsOf:yyyy-MM-dd}, known at {x.KnownAt:u}");
                AnsiConsole.MarkupLine($"consensus leads with [green]{Markup.Escape(x.ConsensusLeading ?? "none")}[/] (documents: {Markup.Escape(x.DocumentLeading ?? "none")})"
                    + (x.LeaderDiffers ? "   [yellow]an analyst's leader differs[/]" : ""));
                var t = new Table().AddColumns("analyst", "leading", "claims rated", "");
                foreach (var an in x.Analysts)
                    t.AddRow(Markup.Escape(an.Id), Markup.Escape(an.Leading ?? "none"), an.ClaimsRated.ToString(CultureInfo.InvariantCulture),
                        an.DiffersFromConsensus ? "[yellow]differs from consensus[/]" : "");
                AnsiConsole.Write(t);
                var c = new Table().AddColumns("claim", "spread", "weight", "ratings");
                foreach (var cl in x.Claims)
                    c.AddRow(Markup.Escape(cl.Claim) + (x.MostDisputed.Contains(cl.Claim) ? " [red]*[/]" : ""), cl.Spread.ToString(CultureInfo.InvariantCulture),
                        cl.Weight.ToString("0.#", CultureInfo.InvariantCulture),
                        Markup.Escape(string.Join("; ", cl.Ratings.Select(kv => $"{kv.Key}: " + string.Join(" ", kv.Value.Select(h => $"{h.Key}:{h.Value}"))))));
                AnsiConsole.Write(c);
            });
        }));
        return command;
    }

    private static int PrintKey(ParseResult p, AnalystResult r, string what)
    {
        return Reply.Print(p, new { id = r.Id, key = r.Key }, x =>
        {
            AnsiConsole.MarkupLine($"[green]{what}[/] analyst {Markup.Escape(r.Id)}. Their API key (shown only now; only its hash is kept):");
            AnsiConsole.Profile.Out.Writer.WriteLine(r.Key);
        });
    }

    private static IngestContext Who() => new($"cli:{Environment.UserName}", $"cli-{Guid.NewGuid():N}");
}
