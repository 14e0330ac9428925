using System.Text.Json.Nodes;
using Narrative.Cli;
using Narrative.Testing;
using Npgsql;
using Spectre.Console;

namespace Narrative.Api.Tests;

/// <summary>The `narrative` command line, run in-process against a real database (as a process: <see cref="CliProcessTests"/>).</summary>
[Collection(PostgresCollection.Name)]
public sealed class CliTests(PostgresFixture pg)
{
    /// <summary>One command line, in this process: its exit code, standard output and standard error, both redirected.</summary>
    internal static async Task<(int Exit, string Output, string Error)> Run(params string[] args)
    {
        var (output, error) = (new StringWriter(), new StringWriter());
        var (previous, previousError) = (AnsiConsole.Console, CliConsole.Error);
        AnsiConsole.Console = CliConsole.Create(output, redirected: true);
        CliConsole.Error = CliConsole.Create(error, redirected: true);
        try
        {
            var exit = await CliApp.RunAsync(args);
            return (exit, output.ToString(), error.ToString());
        }
        finally
        {
            (AnsiConsole.Console, CliConsole.Error) = (previous, previousError);
        }
    }

    internal static string CopySeedsWith(JsonObject? extraDocument)
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
        var (ok, okOutput, okError) = await Run("validate", ApiServer.SeedsFolder());
        Assert.True(ok == 0, okOutput + okError);

        var broken = Documents.Valid("broken-2024-03-01");
        ((JsonObject)broken["items"]![0]!)["credibility"] = 9;
        var dir = CopySeedsWith(broken);
        var (exit, output, error) = await Run("validate", dir);
        Assert.Equal(2, exit);
        // The problem on stderr in the API's words, the summary table on stdout.
        Assert.Contains("broken.json (broken-2024-03-01): The input is not valid; nothing was written", error, StringComparison.Ordinal);
        Assert.Contains("items[0].credibility", error, StringComparison.Ordinal);
        Assert.Contains("rejected", output, StringComparison.Ordinal);
        Assert.DoesNotContain("broken.json", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ingest_writes_the_corpus_once_and_a_second_run_writes_nothing()
    {
        var cs = await pg.CreateDatabaseAsync("cli");
        var (first, output, error) = await Run("ingest", ApiServer.SeedsFolder(), "--db", cs);
        Assert.True(first == 0, output + error);
        var count = await Count(cs);
        Assert.True(count > 90);

        var (second, again, _) = await Run("ingest", ApiServer.SeedsFolder(), "--db", cs);
        Assert.True(second == 0, again);
        Assert.Equal(count, await Count(cs));

        var (query, json, _) = await Run("provenance", "putin-private-openness-to-freeze", "--as-of", "2024-05-31", "--db", cs, "--json");
        Assert.Equal(0, query);
        Assert.Equal(2, JsonNode.Parse(json)!["independentOrigins"]!.GetValue<int>());

        // The likelihood word with what it rests on, and the sensitivity behind it.
        var (assessed, text, _) = await Run("assessment", "putin-ceasefire-stance", "--as-of", "2023-12-31", "--db", cs);
        Assert.True(assessed == 0, text);
        // Judgments apart, the NYT report is the one informative origin on that date (README, "What the seeded corpus says").
        Assert.Contains("likelihood: roughly even chance", text, StringComparison.Ordinal);
        Assert.Contains("basis: 1 independent origin(s) from 1 source(s)", text, StringComparison.Ordinal);
        var (sensed, sensitivity, _) = await Run("sensitivity", "putin-ceasefire-stance", "--as-of", "2023-12-31", "--db", cs);
        Assert.True(sensed == 0, sensitivity);
        Assert.Contains("flip set (exact, 1): nyt-2023-12-23-putin-signals", sensitivity, StringComparison.Ordinal);
        // With the judgments scored, ISW's reading of the NYT report counts as a second origin.
        var (included, withJudgments, _) = await Run("assessment", "putin-ceasefire-stance", "--as-of", "2023-12-31", "--judgments", "include", "--db", cs);
        Assert.True(included == 0, withJudgments);
        Assert.Contains("basis: 2 independent origin(s) from 2 source(s)", withJudgments, StringComparison.Ordinal);
    }

    [Fact]
    public async Task with_json_every_query_and_status_command_prints_one_json_document_and_nothing_else()
    {
        var cs = await CliProcessTests.SeededAsync(pg);
        const string topic = "putin-ceasefire-stance";
        string[][] queries =
        [
            ["assessment", topic, "--as-of", "2024-01-31"],
            ["sensitivity", topic, "--as-of", "2023-12-31"],
            ["timeline", topic, "--from", "2024-01-01", "--to", "2024-02-29", "--step", "day"],
            ["changes", topic, "--from", "2024-01-01", "--to", "2024-02-29"],
            ["coincidence", topic, "--as-of", "2024-05-31"],
            ["timing", topic, "--as-of", "2024-05-31", "--window", "14"],
            ["provenance", "putin-private-openness-to-freeze", "--as-of", "2024-05-31"],
            ["audit", topic, "--as-of", "2024-01-31"],
            ["projections", "status"],
            ["handlers", "status"],
            ["dead-letters", "list"],
        ];
        foreach (var q in queries)
        {
            var (exit, output, error) = await Run([.. q, "--db", cs, "--json"]);
            Assert.True(exit == 0, $"{string.Join(' ', q)}: {output}{error}");
            // One document: an object, or the list a status command answers (dead letters: none in the seeds).
            var answer = JsonNode.Parse(output);
            Assert.True(answer is JsonObject { Count: > 0 } or JsonArray, $"{string.Join(' ', q)}: {output}");
        }
    }

    [Fact]
    public async Task ingest_of_a_broken_file_exits_with_invalid_input_and_names_it()
    {
        var cs = await pg.CreateDatabaseAsync("cli");
        var broken = Documents.Valid("broken-2024-03-02");
        broken["cites"] = new JsonArray("no-such-document");
        var (exit, _, error) = await Run("ingest", CopySeedsWith(broken), "--db", cs);
        Assert.Equal(2, exit);
        Assert.Contains("broken.json", error, StringComparison.Ordinal);
        Assert.Contains("cites[0]", error, StringComparison.Ordinal);
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

        var (exit, output, error) = await Run("capture", dir, "--retrieved-at", "2024-03-08", "--db", cs);
        Assert.True(exit == 0, output + error);
        Assert.Equal(2, output.Split('\n').Count(l => l.Contains(" captured sha256=", StringComparison.Ordinal)));
        var events = await Count(cs);
        var (again, againOutput, _) = await Run("capture", dir, "--retrieved-at", "2024-03-09", "--db", cs);
        Assert.True(again == 0, againOutput);
        Assert.Equal(2, againOutput.Split('\n').Count(l => l.Contains(" unchanged sha256=", StringComparison.Ordinal)));
        Assert.Equal(events, await Count(cs));

        var id = output.Split('\n').First(l => l.Contains("river.html", StringComparison.Ordinal)).Split(' ')[1];
        var (draftExit, draftJson, _) = await Run("draft", id, "--db", cs);
        Assert.Equal(0, draftExit);
        var draft = JsonNode.Parse(draftJson)!;
        Assert.Equal(id, draft["captureId"]!.GetValue<string>());

        var doc = Documents.Valid("cli-capture-2024-03-05");
        doc["captureId"] = id;
        ((JsonObject)doc["items"]![0]!)["quote"] = "We will never give up the river";
        var (bad, _, badError) = await Run("ingest", CopySeedsWith(doc), "--db", cs);
        Assert.Equal(2, bad);
        Assert.Contains("items[0].quote quote_not_in_capture", badError, StringComparison.Ordinal);
        ((JsonObject)doc["items"]![0]!)["quote"] = TestPages.Quote;
        var (good, goodOutput, _) = await Run("ingest", CopySeedsWith(doc), "--db", cs);
        Assert.True(good == 0, goodOutput);
    }

    /// <summary>The events the CLI wrote (actor <c>cli:{user}</c>); the reactions' own events follow when their handlers run.</summary>
    private static async Task<long> Count(string cs)
    {
        await using var db = NpgsqlDataSource.Create(cs);
        await using var cmd = db.CreateCommand($"select count(*) from {Narrative.Storage.EventStoreSetup.Schema}.mt_events where user_name like 'cli:%'");
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
        var (exit, _, error) = await Run("validate", CopySeedsWith(broken));
        Assert.Equal(2, exit);
        Assert.Contains("broken.json (misspelt-2024-03-01)", error, StringComparison.Ordinal);
        Assert.Contains("foo unknown_field", error, StringComparison.Ordinal);
        Assert.Contains("items[0].qoute unknown_field", error, StringComparison.Ordinal);
        Assert.Contains("did you mean 'quote'?", error, StringComparison.Ordinal);
        Assert.Contains("items[1].credibility must be an integer from 1 to 6", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task validate_resolves_new_documents_against_a_running_store_by_api_or_database()
    {
        await using var api = await ApiServer.StartAsync(pg, ApiServer.SeedsFolder(), daemon: false);
        var fresh = FolderWith(Documents.Valid("new-2024-03-01"));
        var late = Documents.Valid("late-2024-03-01");
        late["cites"] = new JsonArray("reuters-2024-05-24-putin-wants-ceasefire");
        var citesLater = FolderWith(late);

        var (offline, _, offlineOutput) = await Run("validate", fresh);
        Assert.Equal(2, offline);
        Assert.Contains("cites[0] unresolved_cite", offlineOutput, StringComparison.Ordinal);
        Assert.Contains("items[1].rebuts[0] unresolved_rebuts", offlineOutput, StringComparison.Ordinal);

        var (byApi, byApiOutput, _) = await Run("validate", fresh, "--api", api.BaseAddress.ToString());
        Assert.True(byApi == 0, byApiOutput);
        var (byDb, byDbOutput, _) = await Run("validate", fresh, "--db", api.Services.DataSource.ConnectionString);
        Assert.True(byDb == 0, byDbOutput);

        var (later, _, laterOutput) = await Run("validate", citesLater, "--api", api.BaseAddress.ToString());
        Assert.Equal(2, later);
        Assert.Contains("cites[0] cites_later_document", laterOutput, StringComparison.Ordinal);
    }
}
