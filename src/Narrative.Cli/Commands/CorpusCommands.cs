using System.CommandLine;
using System.Net.Http.Json;
using Narrative.Analysis;
using Narrative.Analysis.Ingestion;
using Npgsql;
using Spectre.Console;

namespace Narrative.Cli.Commands;

/// <summary>`narrative validate` and `narrative ingest`: files or folders, in dependency order.</summary>
public static class CorpusCommands
{
    public static void Add(RootCommand root)
    {
        var paths = new Argument<string[]>("paths") { Description = "Files or folders (sources.json, topics/, context.json, documents/)", Arity = ArgumentArity.OneOrMore };

        var api = new Option<string?>("--api")
        {
            Description = "Resolve references (cites, rebuts, sources, topics) against what a running API holds, e.g. http://127.0.0.1:5080",
        };
        var validate = new Command("validate",
            "Check files against the corpus rules without writing anything. Offline, references resolve within the files; " +
            "with --db or --api, also against what that store holds") { paths, api };
        validate.SetAction(async (parse, ct) =>
        {
            var url = parse.GetValue(api);
            Uri? apiUri = null;
            if (url is not null && !Uri.TryCreate(url, UriKind.Absolute, out apiUri))
                return Session.Fail($"--api must be an absolute URL such as http://127.0.0.1:5080, not '{url}'");
            var entries = CorpusFiles.Load(parse.GetValue(paths)!);
            var held = await HeldAsync(ReferenceQuery.From(entries), parse.GetValue(CliApp.Db), apiUri, ct);
            var today = DateOnly.FromDateTime(TimeProvider.System.GetUtcNow().UtcDateTime);
            return Report(CorpusIngestor.ValidateOffline(entries, today, held?.ToKnown()), "valid");
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

    /// <summary>
    /// What the store named by --db (only when given: NARRATIVE_DB alone keeps validate offline) or --api holds of
    /// the ids the files name; null offline.
    /// </summary>
    private static async Task<HeldReferences?> HeldAsync(ReferenceQuery query, string? db, Uri? api, CancellationToken ct)
    {
        if (db is not null)
        {
            await using var source = NpgsqlDataSource.Create(db);
            return await HeldReferences.LoadAsync(source, query, ct);
        }
        if (api is null) return null;
        using var http = new HttpClient { BaseAddress = api };
        using var response = await http.PostAsJsonAsync("api/references", query, NarrativeEvents.Json, ct);
        response.EnsureSuccessStatusCode();
        return await response.Content.ReadFromJsonAsync<HeldReferences>(NarrativeEvents.Json, ct)
            ?? throw new InvalidOperationException($"{api} answered /api/references with nothing");
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
