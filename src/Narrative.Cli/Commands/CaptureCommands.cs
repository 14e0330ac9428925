using System.CommandLine;
using System.Text.Json;
using System.Text.Json.Nodes;
using Narrative.Analysis;
using Narrative.Analysis.Capture;
using Narrative.Analysis.Ingestion;
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
        var capture = new Command("capture", "Capture a raw web page: stored byte for byte, extracted, idempotent") { path, url, retrievedAt, type };
        capture.SetAction(async (parse, ct) =>
        {
            IReadOnlyList<Page> pages;
            try
            {
                pages = Load(parse.GetValue(path)!, parse.GetValue(url), parse.GetValue(retrievedAt), parse.GetValue(type));
            }
            catch (Exception ex) when (ex is IOException or JsonException or UnauthorizedAccessException)
            {
                return Session.Fail(ex.Message);
            }
            if (pages.Count == 0) return Session.Fail("no pages found");
            await using var session = await Session.OpenAsync(parse.GetValue(CliApp.Db), project: false, ct);
            var who = new IngestContext($"cli:{Environment.UserName}", $"cli-{Guid.NewGuid():N}");
            var failed = 0;
            var writer = AnsiConsole.Profile.Out.Writer;
            foreach (var p in pages)
            {
                var r = await session.Services.Captures.CaptureAsync(new CaptureInput(p.Body, p.ContentType, p.Url, p.RetrievedAt), who, ct);
                if (r.Errors.Count > 0)
                {
                    failed++;
                    foreach (var e in r.Errors) writer.WriteLine($"{p.Name}: {e.Field} {e.Code}: {e.Message}");
                }
                else writer.WriteLine($"{p.Name}: {r.CaptureId} {(r.Status == CaptureStatus.Created ? "captured" : "unchanged")} sha256={r.Sha256}");
            }
            return failed == 0 ? 0 : 1;
        });
        root.Subcommands.Add(capture);

        var id = new Argument<string>("capture") { Description = "Capture id" };
        var draft = new Command("draft", "Print a corpus document to complete from a capture (placeholders say TODO)") { id };
        draft.SetAction(async (parse, ct) =>
        {
            await using var session = await Session.OpenAsync(parse.GetValue(CliApp.Db), project: false, ct);
            var captures = session.Services.Captures;
            if (await captures.GetAsync(parse.GetValue(id)!, ct) is not { } view) return Session.Fail($"capture '{parse.GetValue(id)}' is not held");
            JsonObject doc = CaptureDraft.Build(view, await captures.SourcesAsync(ct));
            AnsiConsole.Profile.Out.Writer.WriteLine(doc.ToJsonString(new JsonSerializerOptions(NarrativeEvents.Json) { WriteIndented = true,
                Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }));
            return 0;
        });
        root.Subcommands.Add(draft);
    }

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
