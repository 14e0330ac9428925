using System.CommandLine;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using Narrative.Analysis;
using Narrative.Analysis.Capture;
using Narrative.Analysis.Ingestion;
using Narrative.Cli.Output;
using Narrative.Domain.Corpus;
using Spectre.Console;

namespace Narrative.Cli.Commands;

/// <summary>
/// `narrative capture` (a saved page into the record) and `narrative draft` (a corpus document to complete from it).
/// A folder holds pages (*.html, *.htm, *.txt) and a <c>captures.json</c> manifest saying where and when each was
/// fetched: <c>[{ "file": "page.html", "url": "https://...", "retrievedAt": "2024-01-25T10:00:00Z" }]</c>.
/// </summary>
public static class CaptureCommands
{
    public const string Manifest = "captures.json";

    private sealed record Page(string Name, byte[] Body, string ContentType, string? Url, string? RetrievedAt);

    private sealed record ManifestEntry(string? File, string? Url, string? RetrievedAt);

    public static void Add(RootCommand root)
    {
        var path = new Argument<string>("path") { Description = "A saved page, a folder of pages with a captures.json manifest, or - for stdin" };
        var url = new Option<string?>("--url") { Description = "Where the page was fetched from (a single page)" };
        var retrievedAt = new Option<string?>("--retrieved-at") { Description = "When it was fetched, ISO 8601 (a single page; a folder's default)" };
        var type = new Option<string?>("--type") { Description = "html or text (default: from the file extension; stdin: html when it starts with '<')" };
        var capture = new Command("capture",
            "Capture a raw web page: stored byte for byte, extracted, idempotent. Exit code 2 when a page is rejected") { path, url, retrievedAt, type };
        capture.SetAction(async (parse, ct) =>
        {
            var from = parse.GetValue(path)!;
            IReadOnlyList<Page> pages;
            try
            {
                pages = Load(from, parse.GetValue(url), parse.GetValue(retrievedAt), parse.GetValue(type));
            }
            catch (Exception ex) when (ex is IOException or JsonException or UnauthorizedAccessException)
            {
                return Reply.InvalidOption(parse, "path", "unreadable", ex.Message);
            }
            if (pages.Count == 0) return Reply.InvalidOption(parse, "path", "no_pages", $"{Manifest} in {from} lists no pages.");
            await using var session = await Session.OpenAsync(parse.GetValue(CliApp.Db), project: false, ct);
            var who = new IngestContext($"cli:{Environment.UserName}", $"cli-{Guid.NewGuid():N}");
            var reports = Directory.Exists(from)
                ? await CliProgress.RunAsync("capture", pages.Count, perTenth: false, async progress =>
                {
                    var list = new List<PageReport>();
                    foreach (var p in pages)
                    {
                        list.Add(await CaptureAsync(session, p, who, ct));
                        progress.Report(list.Count, $"{p.Name} {list[^1].Status}");
                    }
                    return list;
                })
                : [await CaptureAsync(session, pages[0], who, ct)];

            var problems = reports.Select(r => r.Problem).OfType<Problem>().ToList();
            foreach (var p in problems) Reply.Report(p, Reply.WantsJson(parse));
            Reply.Print(parse, reports, rs =>
            {
                var writer = AnsiConsole.Profile.Out.Writer;
                foreach (var r in rs.Where(r => r.Problem is null)) writer.WriteLine($"{r.File}: {r.CaptureId} {r.Status} sha256={r.Sha256}");
            });
            return Reply.ExitCodeOf(problems);
        });
        root.Subcommands.Add(capture);

        var id = new Argument<string>("capture") { Description = "Capture id" };
        var draft = new Command("draft", "Print a corpus document to complete from a capture (placeholders say TODO)") { id };
        draft.SetAction(async (parse, ct) =>
        {
            await using var session = await Session.OpenAsync(parse.GetValue(CliApp.Db), project: false, ct);
            var captures = session.Services.Captures;
            if (await captures.GetAsync(parse.GetValue(id)!, ct) is not { } view) return Reply.NotFound(parse, $"Capture '{parse.GetValue(id)}' is not held.");
            JsonObject doc = CaptureDraft.Build(view, await captures.SourcesAsync(ct));
            AnsiConsole.Profile.Out.Writer.WriteLine(doc.ToJsonString(new JsonSerializerOptions(NarrativeEvents.Json) { WriteIndented = true,
                Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }));
            return 0;
        });
        root.Subcommands.Add(draft);
    }

    /// <summary>One page's outcome; with --json the answer is a list of these. Status: captured, unchanged, rejected.</summary>
    public sealed record PageReport(string File, string Status, string? CaptureId, string? Sha256, IReadOnlyList<FieldError> Errors,
        [property: JsonIgnore] Problem? Problem);

    private static async Task<PageReport> CaptureAsync(Session session, Page p, IngestContext who, CancellationToken ct)
    {
        var r = await session.Services.Captures.CaptureAsync(new CaptureInput(p.Body, p.ContentType, p.Url, p.RetrievedAt), who, ct);
        var problem = ProblemOf(r) is { } found ? found with { Instance = p.Name } : null;
        var status = problem is not null ? "rejected" : r.Status == CaptureStatus.Created ? "captured" : "unchanged";
        return new PageReport(p.Name, status, problem is null ? r.CaptureId : null, problem is null ? r.Sha256 : null, r.Errors, problem);
    }

    /// <summary>A rejected page as the API answers it (400, 404, 413 or 415).</summary>
    private static Problem? ProblemOf(CaptureResult r) => r.Status switch
    {
        CaptureStatus.Created or CaptureStatus.Unchanged => null,
        CaptureStatus.TooLarge => new Problem(413, "Payload too large", $"A page is at most {CaptureRules.MaxBytes} bytes (2 MiB); nothing was written."),
        CaptureStatus.UnsupportedMediaType => new Problem(415, "Unsupported media type", r.Errors[0].Message),
        CaptureStatus.NotFound => Problem.NotFound(r.Errors[0].Message),
        _ => Problem.Invalid(r.Errors),
    };

    private static List<Page> Load(string path, string? url, string? retrievedAt, string? type)
    {
        if (path == "-")
        {
            using var stdin = Console.OpenStandardInput();
            using var buffer = new MemoryStream();
            stdin.CopyTo(buffer);
            var body = buffer.ToArray();
            return [new Page("stdin", body, MediaType(type, null, body), url, retrievedAt)];
        }
        if (File.Exists(path)) return [new Page(path, File.ReadAllBytes(path), MediaType(type, path, []), url, retrievedAt)];
        if (!Directory.Exists(path)) throw new IOException($"{path}: no such file or folder");
        var manifest = Path.Combine(path, Manifest);
        if (!File.Exists(manifest)) throw new IOException($"{path}: a folder of pages needs a {Manifest} manifest (see `narrative capture --help`)");
        var entries = JsonSerializer.Deserialize<List<ManifestEntry>>(File.ReadAllBytes(manifest), NarrativeEvents.Json) ?? [];
        return entries.Select(e =>
        {
            var file = Path.Combine(path, e.File ?? throw new JsonException($"{manifest}: an entry has no \"file\""));
            return new Page(file, File.ReadAllBytes(file), MediaType(type, file, []), e.Url, e.RetrievedAt ?? retrievedAt);
        }).ToList();
    }

    private static string MediaType(string? type, string? file, byte[] body)
    {
        var html = type switch
        {
            "html" => true,
            "text" => false,
            _ when file is not null => Path.GetExtension(file).ToLowerInvariant() is ".html" or ".htm",
            _ => body.SkipWhile(b => b is (byte)' ' or (byte)'\n' or (byte)'\r' or (byte)'\t' or 0xEF or 0xBB or 0xBF).FirstOrDefault() == (byte)'<',
        };
        return html ? "text/html; charset=utf-8" : "text/plain; charset=utf-8";
    }
}
