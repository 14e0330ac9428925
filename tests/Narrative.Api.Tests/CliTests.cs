using System.Text.Json.Nodes;
using Narrative.Cli;
using Narrative.Testing;
using Npgsql;
using Spectre.Console;

namespace Narrative.Api.Tests;

/// <summary>The `narrative` command line, run in-process against a real database.</summary>
[Collection(PostgresCollection.Name)]
public sealed class CliTests(PostgresFixture pg)
{
    private static async Task<(int Exit, string Output)> Run(params string[] args)
    {
        var writer = new StringWriter();
        var previous = AnsiConsole.Console;
        AnsiConsole.Console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(writer), Ansi = AnsiSupport.No, Interactive = InteractionSupport.No });
        AnsiConsole.Console.Profile.Width = 200;
        try
        {
            var exit = await CliApp.Build().Parse(args).InvokeAsync();
            return (exit, writer.ToString());
        }
        finally
        {
            AnsiConsole.Console = previous;
        }
    }

    /// <summary>The CLI as built by its own project (with its runtimeconfig and deps), in this test run's configuration.</summary>
    private static string BuiltTool()
    {
        var configuration = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd('/')).Parent!.Name; // bin/<configuration>/net10.0
        var root = Directory.GetParent(ApiServer.SeedsFolder())!.FullName;
        return Path.Combine(root, "src", "Narrative.Cli", "bin", configuration, "net10.0", "narrative.dll");
    }

    private static string CopySeedsWith(JsonObject? extraDocument)
    {
        var dir = Path.Combine(Path.GetTempPath(), $"narrative-cli-{Guid.NewGuid():N}");
        foreach (var file in Directory.GetFiles(ApiServer.SeedsFolder(), "*.json", SearchOption.AllDirectories))
        {
            var target = Path.Combine(dir, Path.GetRelativePath(ApiServer.SeedsFolder(), file));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target);
        }
        if (extraDocument is not null) File.WriteAllText(Path.Combine(dir, "documents", "broken.json"), extraDocument.ToJsonString());
        return dir;
    }

    [Fact]
    public async Task piped_output_of_the_built_tool_has_no_colour_codes_and_no_wrapping()
    {
        var cs = await pg.CreateDatabaseAsync("cli");
        Assert.Equal(0, (await Run("ingest", ApiServer.SeedsFolder(), "--db", cs)).Exit);

        // The built tool as a process, as from a user's colour terminal piping into a file.
        var start = new System.Diagnostics.ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        start.Environment["TERM"] = "xterm-256color";
        start.Environment["COLORTERM"] = "truecolor";
        foreach (var a in new[] { BuiltTool(), "assessment", "putin-ceasefire-stance", "--as-of", "2024-05-31", "--db", cs })
            start.ArgumentList.Add(a);
        using var process = System.Diagnostics.Process.Start(start)!;
        var output = await process.StandardOutput.ReadToEndAsync();
        await process.WaitForExitAsync();

        Assert.True(process.ExitCode == 0, output + await process.StandardError.ReadToEndAsync());
        Assert.DoesNotContain('\u001b', output);
        // Each evidence row is whole on one line: its item id and its ratings column, however wide the table is.
        var row = Assert.Single(output.Split('\n'), line => line.Contains("nyt-2023-12-23-backchannel", StringComparison.Ordinal));
        Assert.Contains("feig:C", row, StringComparison.Ordinal);
        Assert.True(row.Length > 80, row);
    }

    [Fact]
    public async Task validate_accepts_the_seeds_and_names_the_file_and_field_of_a_broken_document()
    {
        var (ok, okOutput) = await Run("validate", ApiServer.SeedsFolder());
        Assert.True(ok == 0, okOutput);

        var broken = Documents.Valid("broken-2024-03-01");
        ((JsonObject)broken["items"]![0]!)["credibility"] = 9;
        var dir = CopySeedsWith(broken);
        var (exit, output) = await Run("validate", dir);
        Assert.Equal(1, exit);
        Assert.Contains("broken.json", output, StringComparison.Ordinal);
        Assert.Contains("items[0].credibility", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ingest_writes_the_corpus_once_and_a_second_run_writes_nothing()
    {
        var cs = await pg.CreateDatabaseAsync("cli");
        var (first, output) = await Run("ingest", ApiServer.SeedsFolder(), "--db", cs);
        Assert.True(first == 0, output);
        var count = await Count(cs);
        Assert.True(count > 90);

        var (second, again) = await Run("ingest", ApiServer.SeedsFolder(), "--db", cs);
        Assert.True(second == 0, again);
        Assert.Equal(count, await Count(cs));

        var (query, json) = await Run("provenance", "putin-private-openness-to-freeze", "--as-of", "2024-05-31", "--db", cs, "--json");
        Assert.Equal(0, query);
        Assert.Equal(2, JsonNode.Parse(json[json.IndexOf('{', StringComparison.Ordinal)..])!["independentOrigins"]!.GetValue<int>());

        // The likelihood word with what it rests on, and the sensitivity behind it.
        var (assessed, text) = await Run("assessment", "putin-ceasefire-stance", "--as-of", "2023-12-31", "--db", cs);
        Assert.True(assessed == 0, text);
        Assert.Contains("likelihood: likely", text, StringComparison.Ordinal);
        Assert.Contains("basis: 2 independent origin(s) from 2 source(s)", text, StringComparison.Ordinal);
        Assert.Contains("held below 'very likely' by fewer than 3 independent origins", text, StringComparison.Ordinal);
        var (sensed, sensitivity) = await Run("sensitivity", "putin-ceasefire-stance", "--as-of", "2023-12-31", "--db", cs);
        Assert.True(sensed == 0, sensitivity);
        Assert.Contains("flip set (exact, 2): isw-2023-12-23-ceasefire-signals, nyt-2023-12-23-putin-signals", sensitivity, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ingest_of_a_broken_file_exits_non_zero_and_names_it()
    {
        var cs = await pg.CreateDatabaseAsync("cli");
        var broken = Documents.Valid("broken-2024-03-02");
        broken["cites"] = new JsonArray("no-such-document");
        var (exit, output) = await Run("ingest", CopySeedsWith(broken), "--db", cs);
        Assert.Equal(1, exit);
        Assert.Contains("broken.json", output, StringComparison.Ordinal);
        Assert.Contains("cites[0]", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task capture_of_a_folder_is_idempotent_and_draft_and_ingest_verify_quotes_against_it()
    {
        var cs = await pg.CreateDatabaseAsync("cli");
        Assert.Equal(0, (await Run("ingest", ApiServer.SeedsFolder(), "--db", cs)).Exit);
        var dir = Path.Combine(Path.GetTempPath(), $"narrative-pages-{Guid.NewGuid():N}");
        Directory.CreateDirectory(dir);
        File.WriteAllText(Path.Combine(dir, "river.html"), TestPages.Html);
        File.WriteAllText(Path.Combine(dir, "bridges.txt"), TestPages.Text);
        File.WriteAllText(Path.Combine(dir, "captures.json"), $$"""
            [ { "file": "river.html", "url": "{{TestPages.ArticleUrl}}", "retrievedAt": "2024-03-06T10:00:00Z" },
              { "file": "bridges.txt", "url": "https://other.example.org/bridges" } ]
            """);

        var (exit, output) = await Run("capture", dir, "--retrieved-at", "2024-03-08", "--db", cs);
        Assert.True(exit == 0, output);
        Assert.Equal(2, output.Split('\n').Count(l => l.Contains(" captured sha256=", StringComparison.Ordinal)));
        var events = await Count(cs);
        var (again, againOutput) = await Run("capture", dir, "--retrieved-at", "2024-03-09", "--db", cs);
        Assert.True(again == 0, againOutput);
        Assert.Equal(2, againOutput.Split('\n').Count(l => l.Contains(" unchanged sha256=", StringComparison.Ordinal)));
        Assert.Equal(events, await Count(cs));

        var id = output.Split('\n').First(l => l.Contains("river.html", StringComparison.Ordinal)).Split(' ')[1];
        var (draftExit, draftJson) = await Run("draft", id, "--db", cs);
        Assert.Equal(0, draftExit);
        var draft = JsonNode.Parse(draftJson[draftJson.IndexOf('{', StringComparison.Ordinal)..])!;
        Assert.Equal(id, draft["captureId"]!.GetValue<string>());

        var doc = Documents.Valid("cli-capture-2024-03-05");
        doc["captureId"] = id;
        ((JsonObject)doc["items"]![0]!)["quote"] = "We will never give up the river";
        var (bad, badOutput) = await Run("ingest", CopySeedsWith(doc), "--db", cs);
        Assert.Equal(1, bad);
        Assert.Contains("items[0].quote quote_not_in_capture", badOutput, StringComparison.Ordinal);
        ((JsonObject)doc["items"]![0]!)["quote"] = TestPages.Quote;
        var (good, goodOutput) = await Run("ingest", CopySeedsWith(doc), "--db", cs);
        Assert.True(good == 0, goodOutput);
    }

    private static async Task<long> Count(string cs)
    {
        await using var db = NpgsqlDataSource.Create(cs);
        await using var cmd = db.CreateCommand($"select count(*) from {Narrative.Storage.EventStoreSetup.Schema}.mt_events");
        return (long)(await cmd.ExecuteScalarAsync())!;
    }

    private static string FolderWith(params JsonObject[] documents)
    {
        var dir = Path.Combine(Path.GetTempPath(), $"narrative-cli-{Guid.NewGuid():N}", "documents");
        Directory.CreateDirectory(dir);
        foreach (var d in documents) File.WriteAllText(Path.Combine(dir, $"{d["id"]}.json"), d.ToJsonString());
        return dir;
    }

    [Fact]
    public async Task validate_names_unknown_and_misspelt_fields_like_the_api()
    {
        var broken = Documents.Valid("misspelt-2024-03-01");
        broken["foo"] = 1;
        ((JsonObject)broken["items"]![0]!)["qoute"] = "He said so";
        ((JsonObject)broken["items"]![1]!)["credibility"] = "3";
        var (exit, output) = await Run("validate", CopySeedsWith(broken));
        Assert.Equal(1, exit);
        Assert.Contains("broken.json (misspelt-2024-03-01)", output, StringComparison.Ordinal);
        Assert.Contains("foo unknown_field", output, StringComparison.Ordinal);
        Assert.Contains("items[0].qoute unknown_field", output, StringComparison.Ordinal);
        Assert.Contains("did you mean 'quote'?", output, StringComparison.Ordinal);
        Assert.Contains("items[1].credibility must be an integer from 1 to 6", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task validate_resolves_new_documents_against_a_running_store_by_api_or_database()
    {
        await using var api = await ApiServer.StartAsync(pg, ApiServer.SeedsFolder(), daemon: false);
        var fresh = FolderWith(Documents.Valid("new-2024-03-01"));
        var late = Documents.Valid("late-2024-03-01");
        late["cites"] = new JsonArray("reuters-2024-05-24-putin-wants-ceasefire");
        var citesLater = FolderWith(late);

        var (offline, offlineOutput) = await Run("validate", fresh);
        Assert.Equal(1, offline);
        Assert.Contains("cites[0] unresolved_cite", offlineOutput, StringComparison.Ordinal);
        Assert.Contains("items[1].rebuts[0] unresolved_rebuts", offlineOutput, StringComparison.Ordinal);

        var (byApi, byApiOutput) = await Run("validate", fresh, "--api", api.BaseAddress.ToString());
        Assert.True(byApi == 0, byApiOutput);
        var (byDb, byDbOutput) = await Run("validate", fresh, "--db", api.Services.DataSource.ConnectionString);
        Assert.True(byDb == 0, byDbOutput);

        var (later, laterOutput) = await Run("validate", citesLater, "--api", api.BaseAddress.ToString());
        Assert.Equal(1, later);
        Assert.Contains("cites[0] cites_later_document", laterOutput, StringComparison.Ordinal);
    }
}
