using System.CommandLine;
using Narrative.Analysis.Ingestion;
using Spectre.Console;

namespace Narrative.Cli.Commands;

/// <summary>`narrative validate` and `narrative ingest`: files or folders, in dependency order.</summary>
public static class CorpusCommands
{
    public static void Add(RootCommand root)
    {
        var paths = new Argument<string[]>("paths") { Description = "Files or folders (sources.json, topics/, context.json, documents/)", Arity = ArgumentArity.OneOrMore };

        var validate = new Command("validate", "Check files against the corpus rules without writing anything") { paths };
        validate.SetAction(parse =>
        {
            var entries = CorpusFiles.Load(parse.GetValue(paths)!);
            var outcomes = CorpusIngestor.ValidateOffline(entries, DateOnly.FromDateTime(DateTime.UtcNow));
            return Report(outcomes, "valid");
        });
        root.Subcommands.Add(validate);

        var ingest = new Command("ingest", "Ingest files or folders (idempotent: what is already held is skipped)") { paths };
        ingest.SetAction(async (parse, ct) =>
        {
            var entries = CorpusFiles.Load(parse.GetValue(paths)!);
            if (entries.Count == 0) return Session.Fail("no .json files found");
            // This process projects what it wrote, so queries right after an ingest see it even when no API is running.
            await using var session = await Session.OpenAsync(parse.GetValue(CliApp.Db), project: true, ct);
            var who = new IngestContext($"cli:{Environment.UserName}", $"cli-{Guid.NewGuid():N}");
            IReadOnlyList<CorpusOutcome> outcomes = [];
            await AnsiConsole.Progress().AutoClear(false)
                .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn())
                .StartAsync(async progress =>
                {
                    var bar = progress.AddTask("ingesting", maxValue: entries.Count);
                    outcomes = await new CorpusIngestor(session.Services.Ingestion).IngestAsync(entries, who,
                        new Progress<CorpusOutcome>(o =>
                        {
                            bar.Increment(1);
                            bar.Description = Markup.Escape($"{o.Entry.Kind} {o.Entry.Id}");
                        }), ct);
                    bar.Description = "ingested";
                    var projecting = progress.AddTask("projecting", maxValue: 1).IsIndeterminate();
                    await session.CatchUpAsync(ct);
                    projecting.Value = 1;
                    projecting.StopTask();
                });
            return Report(outcomes, "written");
        });
        root.Subcommands.Add(ingest);
    }

    private static int Report(IReadOnlyList<CorpusOutcome> outcomes, string okWord)
    {
        var failed = outcomes.Where(o => o.Result.Status is IngestStatus.Invalid or IngestStatus.Conflict or IngestStatus.NotFound).ToList();
        // One plain, unwrapped line per problem (file, id, field, code, message), so it can be grepped and clicked.
        var writer = AnsiConsole.Profile.Out.Writer;
        foreach (var f in failed)
        {
            var file = Path.GetRelativePath(Environment.CurrentDirectory, f.Entry.File);
            if (file.StartsWith("..", StringComparison.Ordinal)) file = f.Entry.File;
            writer.WriteLine($"{file} ({f.Entry.Id}): {f.Result.Status}");
            foreach (var e in f.Result.Errors) writer.WriteLine($"  {file}: {e.Field} {e.Code}: {e.Message}");
            if (f.Result.Message is { } m) writer.WriteLine($"  {m}");
        }
        var table = new Table().AddColumns("kind", okWord, "unchanged", "rejected");
        foreach (var g in outcomes.GroupBy(o => o.Entry.Kind))
            table.AddRow(g.Key.ToString(), g.Count(o => o.Result.Status == IngestStatus.Created).ToString(),
                g.Count(o => o.Result.Status == IngestStatus.Unchanged).ToString(), g.Count(o => failed.Contains(o)).ToString());
        AnsiConsole.Write(table);
        return failed.Count == 0 ? 0 : 1;
    }
}
