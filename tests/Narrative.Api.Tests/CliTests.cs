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
}
