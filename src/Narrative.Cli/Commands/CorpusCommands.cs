using System.CommandLine;
using System.Globalization;
using System.Net.Http.Json;
using Narrative.Analysis;
using Narrative.Analysis.Ingestion;
using Narrative.Cli.Output;
using Narrative.Domain.Corpus;
using Npgsql;
using Spectre.Console;

namespace Narrative.Cli.Commands;

/// <summary>`narrative validate` and `narrative ingest`: files or folders, in dependency order.</summary>
public static class CorpusCommands
{
    /// <summary>One file's entry in the --json answer. Status: valid, created, unchanged, invalid, conflict, notFound.</summary>
    public sealed record EntryReport(string File, string Kind, string Id, string Status, string? Detail, IReadOnlyList<FieldError> Errors);

    public sealed record ValidateReport(int Valid, int Rejected, IReadOnlyList<EntryReport> Entries);

    public sealed record IngestReport(int Written, int Unchanged, int Rejected, IReadOnlyList<EntryReport> Entries);

    public static void Add(RootCommand root)
    {
        var paths = new Argument<string[]>("paths") { Description = "Files or folders (sources.json, topics/, context.json, documents/)", Arity = ArgumentArity.OneOrMore };

        var api = new Option<string?>("--api")
        {
            Description = "Resolve references (cites, rebuts, sources, topics) against what a running API holds, e.g. http://127.0.0.1:5080",
        };
        var validate = new Command("validate",
            "Check files against the corpus rules without writing anything. Offline, references resolve within the files; " +
            "with --db or --api, also against what that store holds. Exit code 2 when a file is not valid") { paths, api };
        validate.SetAction(async (parse, ct) =>
        {
            var url = parse.GetValue(api);
            Uri? apiUri = null;
            if (url is not null && !(Uri.TryCreate(url, UriKind.Absolute, out apiUri) && apiUri.Scheme is "http" or "https"))
                return Reply.InvalidOption(parse, "--api", "invalid_url", $"'--api' must be an absolute URL such as http://127.0.0.1:5080, not '{url}'.");
            var entries = CorpusFiles.Load(parse.GetValue(paths)!);
            if (entries.Count == 0) return NoFiles(parse);
            var held = await HeldAsync(ReferenceQuery.From(entries), parse.GetValue(CliApp.Db), apiUri, ct);
            var today = DateOnly.FromDateTime(TimeProvider.System.GetUtcNow().UtcDateTime);
            return Report(parse, CorpusIngestor.ValidateOffline(entries, today, held?.ToKnown()), ingesting: false);
        });
        root.Subcommands.Add(validate);

        var ingest = new Command("ingest",
            "Ingest files or folders (idempotent: what is already held is skipped). Exit code 2 when a file is not valid, " +
            "3 when it conflicts with what is held") { paths };
        ingest.SetAction(async (parse, ct) =>
        {
            var entries = CorpusFiles.Load(parse.GetValue(paths)!);
            if (entries.Count == 0) return NoFiles(parse);
            // This process projects what it wrote, so queries right after an ingest see it even when no API is running.
            await using var session = await Session.OpenAsync(parse.GetValue(CliApp.Db), project: true, ct);
            var who = new IngestContext($"cli:{Environment.UserName}", $"cli-{Guid.NewGuid():N}");
            var outcomes = await CliProgress.RunAsync("ingest", entries.Count, perTenth: false, async progress =>
            {
                var done = 0;
                var result = await new CorpusIngestor(session.Services.Ingestion).IngestAsync(entries, who,
                    CliProgress.Inline<CorpusOutcome>(o => progress.Report(++done, $"{o.Entry.Kind} {o.Entry.Id} {StatusWord(o.Result.Status, true)}")), ct);
                progress.Phase("projecting");
                await session.CatchUpAsync(ct);
                progress.Phase("projected");
                return result;
            });
            return Report(parse, outcomes, ingesting: true);
        });
        root.Subcommands.Add(ingest);
    }

    private static int NoFiles(ParseResult parse) =>
        Reply.InvalidOption(parse, "paths", "no_files", $"No .json files in {string.Join(", ", parse.GetValue<string[]>("paths") ?? [])}.");

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
        using var http = new HttpClient { BaseAddress = api, Timeout = TimeSpan.FromSeconds(30) };
        HttpResponseMessage response;
        try
        {
            response = await http.PostAsJsonAsync("api/references", query, NarrativeEvents.Json, ct);
        }
        catch (HttpRequestException ex) when (ex.StatusCode is null)
        {
            throw new ProblemException(Problem.Unreachable($"The API at {api} did not answer: {ex.Message}"));
        }
        using (response)
        {
            if (!response.IsSuccessStatusCode) throw new ProblemException(await ApiProblem.ReadAsync(response, ct));
            return await response.Content.ReadFromJsonAsync<HeldReferences>(NarrativeEvents.Json, ct)
                ?? throw new InvalidOperationException($"{api} answered /api/references with nothing");
        }
    }

    private static int Report(ParseResult parse, IReadOnlyList<CorpusOutcome> outcomes, bool ingesting)
    {
        var entries = outcomes.Select(o => new EntryReport(ShortPath(o.Entry.File), o.Entry.Kind.ToString(), o.Entry.Id,
            StatusWord(o.Result.Status, ingesting), o.Result.Message, o.Result.Errors)).ToList();
        var problems = outcomes.Select(o => ProblemOf(o)).OfType<Problem>().ToList();
        // One plain, unwrapped problem per file (file, id, then field, code, message), so it can be grepped and clicked.
        foreach (var p in problems) Reply.Report(p, Reply.WantsJson(parse));

        var rejected = problems.Count;
        if (ingesting)
            Reply.Print(parse, new IngestReport(outcomes.Count(o => o.Result.Status == IngestStatus.Created),
                outcomes.Count(o => o.Result.Status == IngestStatus.Unchanged), rejected, entries), _ => Table(outcomes, ingesting: true));
        else
            Reply.Print(parse, new ValidateReport(outcomes.Count - rejected, rejected, entries), _ => Table(outcomes, ingesting: false));
        return Reply.ExitCodeOf(problems);
    }

    private static void Table(IReadOnlyList<CorpusOutcome> outcomes, bool ingesting)
    {
        var table = new Table().AddColumns(ingesting ? ["kind", "written", "unchanged", "rejected"] : ["kind", "valid", "rejected"]);
        foreach (var g in outcomes.GroupBy(o => o.Entry.Kind))
        {
            var ok = g.Count(o => o.Result.Status == IngestStatus.Created).ToString(CultureInfo.InvariantCulture);
            var rejected = g.Count(o => ProblemOf(o) is not null).ToString(CultureInfo.InvariantCulture);
            table.AddRow(ingesting ? [g.Key.ToString(), ok, g.Count(o => o.Result.Status == IngestStatus.Unchanged).ToString(CultureInfo.InvariantCulture), rejected]
                : [g.Key.ToString(), ok, rejected]);
        }
        AnsiConsole.Write(table);
    }

    /// <summary>A rejected entry as the API would answer it (400, 409 or 404), with the file and id as the instance.</summary>
    private static Problem? ProblemOf(CorpusOutcome o)
    {
        var instance = $"{ShortPath(o.Entry.File)} ({o.Entry.Id})";
        return o.Result.Status switch
        {
            IngestStatus.Invalid => Problem.Invalid(o.Result.Errors) with { Instance = instance },
            IngestStatus.Conflict => Problem.Conflict(o.Result.Message) with { Instance = instance },
            IngestStatus.NotFound => Problem.NotFound(o.Result.Message ?? "Not found") with { Instance = instance },
            _ => null,
        };
    }

    private static string StatusWord(IngestStatus status, bool ingesting) => status switch
    {
        IngestStatus.Created => ingesting ? "created" : "valid",
        IngestStatus.Unchanged => "unchanged",
        IngestStatus.Invalid => "invalid",
        IngestStatus.Conflict => "conflict",
        IngestStatus.NotFound => "notFound",
        _ => status.ToString(),
    };

    private static string ShortPath(string file)
    {
        var relative = Path.GetRelativePath(Environment.CurrentDirectory, file);
        return relative.StartsWith("..", StringComparison.Ordinal) ? file : relative;
    }
}
