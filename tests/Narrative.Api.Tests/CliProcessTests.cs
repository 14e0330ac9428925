using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Narrative.Testing;

namespace Narrative.Api.Tests;

/// <summary>
/// The built `narrative` tool as a process, as users and scripts run it: what reaches stdout and stderr, the exit
/// codes, the progress of the long jobs, with its output redirected and on a terminal. One seeded database serves
/// every test here; the tools of a test run side by side.
/// </summary>
[Collection(PostgresCollection.Name)]
public sealed class CliProcessTests(PostgresFixture pg)
{
    private const string Topic = "putin-ceasefire-stance";
    private const string Claim = "putin-private-openness-to-freeze";

    private static readonly SemaphoreSlim SeedGate = new(1);
    private static string? _seeded;

    private Task<string> SeededAsync() => SeededAsync(pg);

    /// <summary>A database holding the seeds (ingested in this process, which is quicker), shared by the CLI tests that only read.</summary>
    internal static async Task<string> SeededAsync(PostgresFixture pg)
    {
        await SeedGate.WaitAsync();
        try
        {
            if (_seeded is null)
            {
                var cs = await pg.CreateDatabaseAsync("cli-process");
                var (exit, output, error) = await CliTests.Run("ingest", ApiServer.SeedsFolder(), "--db", cs);
                Assert.True(exit == 0, output + error);
                _seeded = cs;
            }
            return _seeded;
        }
        finally
        {
            SeedGate.Release();
        }
    }

    private static string PagesFolder()
    {
        var dir = Path.Combine(Path.GetTempPath(), $"narrative-pages-{Guid.NewGuid():N}");
        Directory.CreateDirectory(dir);
        File.WriteAllText(Path.Combine(dir, "river.html"), TestPages.Html);
        File.WriteAllText(Path.Combine(dir, "bridges.txt"), TestPages.Text);
        File.WriteAllText(Path.Combine(dir, "captures.json"), $$"""
            [ { "file": "river.html", "url": "{{TestPages.ArticleUrl}}", "retrievedAt": "2024-03-06T10:00:00Z" },
              { "file": "bridges.txt", "url": "https://other.example.org/bridges", "retrievedAt": "2024-03-07T10:00:00Z" } ]
            """);
        return dir;
    }

    private static JsonNode Json(CliTool.Result r)
    {
        Assert.True(r.Exit == 0, r.ToString());
        try
        {
            return JsonNode.Parse(r.Output) ?? throw new InvalidOperationException("null");
        }
        catch (Exception ex) when (ex is System.Text.Json.JsonException or InvalidOperationException)
        {
            throw new Xunit.Sdk.XunitException($"stdout is not one JSON document ({ex.Message}):\n{r}");
        }
    }

    [Fact]
    public async Task with_json_each_command_family_prints_one_json_document_on_stdout_and_nothing_else()
    {
        var cs = await SeededAsync();
        var seeds = ApiServer.SeedsFolder();
        // The long jobs' JSON is checked with their progress below; every query and status command's in CliTests.
        // One after the other on the one database (concurrent CLI starts race on the schema checks); validate needs none.
        var validating = CliTool.RunAsync("validate", seeds, "--json");
        var assessment = await CliTool.RunAsync("assessment", Topic, "--as-of", "2024-01-31", "--db", cs, "--json");
        var provenance = await CliTool.RunAsync("provenance", Claim, "--as-of", "2024-05-31", "--db", cs, "--json");
        var projections = await CliTool.RunAsync("projections", "status", "--db", cs, "--json");
        var deadLetters = await CliTool.RunAsync("dead-letters", "list", "--db", cs, "--json");
        var validate = await validating;

        Assert.Equal(0, Json(validate)["rejected"]!.GetValue<int>());
        Assert.True(Json(validate)["valid"]!.GetValue<int>() > 30, validate.ToString());
        Assert.NotNull(Json(assessment)["leading"]);
        Assert.Equal(2, Json(provenance)["independentOrigins"]!.GetValue<int>());
        Assert.Contains(Json(projections).AsArray(), p => p!["name"]!.GetValue<string>() == "analysis");
        Assert.Empty(Json(deadLetters).AsArray());
    }

    [Fact]
    public async Task piped_long_jobs_print_a_line_per_step_on_stderr_and_their_answer_on_stdout()
    {
        var cs = await SeededAsync();
        // One after the other: CLI processes starting together on one database race on Wolverine's and Marten's schema checks.
        var ingest = await CliTool.RunAsync("ingest", ApiServer.SeedsFolder(), "--db", cs, "--json");
        var capture = await CliTool.RunAsync("capture", PagesFolder(), "--db", cs, "--json");
        var verify = await CliTool.RunAsync("verify", "--db", cs, "--json");
        // After the others: a rebuild swaps the read model's tables under whatever reads them.
        var rebuild = await CliTool.RunAsync("projections", "rebuild", "analysis", "--db", cs);

        // ingest: one line per file entry, in order, then the projecting phase; the answer says nothing changed.
        var entries = Json(ingest)["entries"]!.AsArray();
        Assert.Equal(entries.Count, Json(ingest)["unchanged"]!.GetValue<int>());
        var steps = Lines(ingest.Error).Where(l => l.StartsWith("ingest: ", StringComparison.Ordinal) && l.Contains('/', StringComparison.Ordinal)).ToList();
        Assert.Equal(Enumerable.Range(1, entries.Count).Select(i => $"ingest: {i}/{entries.Count} "), steps.Select(l => l[..(l.IndexOf(' ', 8) + 1)]));
        Assert.Contains($"ingest: 1/{entries.Count} Source nyt unchanged", steps);
        Assert.Contains("ingest: projected", Lines(ingest.Error));

        // capture of a folder: a line per page.
        Assert.Equal(["captured", "captured"], Json(capture).AsArray().Select(p => p!["status"]!.GetValue<string>()));
        Assert.Contains(Lines(capture.Error), l => l.StartsWith("capture: 1/2 ", StringComparison.Ordinal) && l.EndsWith("river.html captured", StringComparison.Ordinal));
        Assert.Contains(Lines(capture.Error), l => l.StartsWith("capture: 2/2 ", StringComparison.Ordinal) && l.EndsWith("bridges.txt captured", StringComparison.Ordinal));

        // verify and rebuild: counted in events, a line when they start and one per tenth.
        var events = Json(verify)["events"]!.GetValue<long>();
        Assert.True(Json(verify)["intact"]!.GetValue<bool>(), verify.ToString());
        Assert.Contains($"verify: 0/{events} events", Lines(verify.Error));
        Assert.Contains($"verify: {events}/{events} events", Lines(verify.Error));
        Assert.True(rebuild.Exit == 0, rebuild.ToString());
        Assert.Contains(Lines(rebuild.Error), l => Regex.Match(l, @"^rebuild analysis: (\d+)/\1 events$") is { Success: true } m && long.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture) > 30);
        Assert.Contains("rebuild analysis: swapped in", Lines(rebuild.Error));
        Assert.Contains("rebuilt and swapped in analysis", rebuild.Output, StringComparison.Ordinal);

        foreach (var r in new[] { ingest, capture, verify, rebuild })
        {
            Assert.DoesNotContain('\u001b', r.Output);
            Assert.DoesNotContain('\u001b', r.Error);
        }
    }

    [Fact]
    public async Task exit_codes_say_not_found_invalid_input_conflict_or_unreachable_and_stderr_uses_the_api_words()
    {
        var seeded = await SeededAsync();
        await using var api = await ApiServer.StartAsync(pg, daemon: false);
        var cs = api.Services.DataSource.ConnectionString;
        var conflicting = ConflictingDocument();
        // Processes on other databases (or none) run beside those on the API's database, which run one after the other:
        // CLI processes starting together on one database race on Marten's and Wolverine's schema checks.
        var others = Task.WhenAll(
            CliTool.RunAsync("assessment", Topic, "--as-of", "yesterday-ish"),
            CliTool.RunAsync("timeline", Topic, "--step", "month"),
            CliTool.RunAsync("ingest", conflicting, "--db", seeded),
            CliTool.RunAsync("assessment", Topic, "--db", "Host=127.0.0.1;Port=1;Username=postgres;Database=narrative"),
            CliTool.RunAsync("validate", ApiServer.SeedsFolder(), "--api", "http://127.0.0.1:1"));
        string[][] onApiDatabase =
        [
            ["provenance", "no-such-claim", "--db", cs],
            ["provenance", "no-such-claim", "--db", cs, "--json"],
            ["assessment", "no-such-topic", "--db", cs],
            ["dead-letters", "replay", "999", "--db", cs],
            ["projections", "rebuild", "no-such-projection", "--db", cs],
        ];
        var runs = new List<CliTool.Result>();
        foreach (var args in onApiDatabase) runs.Add(await CliTool.RunAsync(args));
        runs.AddRange(await others);

        using var http = api.Client(ApiServer.AdminKey);
        async Task<string> Words(Task<HttpResponseMessage> request)
        {
            using var response = await request;
            var problem = (await response.Content.ReadFromJsonAsync<JsonObject>())!;
            return $"{problem["title"]}: {problem["detail"]}";
        }

        AssertProblem(runs[0], 1, await Words(http.GetAsync("/api/claims/no-such-claim/provenance")));
        AssertProblem(runs[2], 1, await Words(http.GetAsync("/api/topics/no-such-topic/assessment")));
        AssertProblem(runs[3], 1, await Words(http.PostAsync("/api/admin/dead-letters/999/replay", null)));
        AssertProblem(runs[4], 1, await Words(http.PostAsync("/api/admin/projections/no-such-projection/rebuild", null)));
        // The API names the query parameter, the CLI its option: otherwise the same words.
        AssertProblem(runs[5], 2, (await Words(http.GetAsync($"/api/topics/{Topic}/assessment?asOf=yesterday-ish"))).Replace("'asOf'", "'--as-of'", StringComparison.Ordinal));
        AssertProblem(runs[6], 2, "The query is not valid: '--step' is 'day' or 'week'.");
        AssertProblem(runs[7], 3, "Conflict: Document 'nyt-2023-12-23-putin-signals' is already held with different content.");
        AssertProblem(runs[8], 4, "Server unreachable: PostgreSQL did not answer: Failed to connect to 127.0.0.1:1");
        AssertProblem(runs[9], 4, "Server unreachable: The API at http://127.0.0.1:1/ did not answer");

        // With --json the problem is one JSON object on stderr, and stdout stays empty.
        var json = runs[1];
        Assert.Equal(1, json.Exit);
        Assert.Equal("", json.Output);
        var problem = JsonNode.Parse(Lines(json.Error).Last())!;
        Assert.Equal(("Not found", 404, 1), (problem["title"]!.GetValue<string>(), problem["status"]!.GetValue<int>(), problem["exitCode"]!.GetValue<int>()));
        Assert.Equal("No appearance of claim 'no-such-claim' is known as of that date.", problem["detail"]!.GetValue<string>());
    }

    [Fact]
    public async Task piped_tables_have_no_colour_codes_and_no_wrapping()
    {
        var cs = await SeededAsync();
        var r = await CliTool.RunAsync("assessment", Topic, "--as-of", "2024-05-31", "--db", cs);

        Assert.True(r.Exit == 0, r.ToString());
        Assert.DoesNotContain('\u001b', r.Output);
        // Each evidence row is whole on one line: its item id and its ratings column, however wide the table is.
        var row = Assert.Single(Lines(r.Output), line => line.Contains("nyt-2023-12-23-backchannel", StringComparison.Ordinal));
        Assert.Contains("feig:C", row, StringComparison.Ordinal);
        Assert.True(row.Length > 80, row);
    }

    [Fact]
    public async Task on_a_terminal_long_jobs_draw_a_progress_bar_and_answers_are_in_colour()
    {
        var cs = await SeededAsync();
        var verify = await CliTool.RunInTerminalAsync("verify", "--db", cs);
        var assessment = await CliTool.RunInTerminalAsync("assessment", Topic, "--as-of", "2024-01-31", "--db", cs);

        Assert.True(verify.Exit == 0, verify.ToString());
        // A live bar (Spectre's bar glyphs, a percentage, cursor control), not the redirected "verify: n/m events" lines.
        Assert.Contains("━", verify.Output, StringComparison.Ordinal);
        Assert.Contains("100%", verify.Output, StringComparison.Ordinal);
        Assert.Contains("\u001b[", verify.Output, StringComparison.Ordinal);
        Assert.DoesNotContain(" events\n", verify.Output.Replace(" events)", "", StringComparison.Ordinal), StringComparison.Ordinal);
        Assert.Contains("every hash chain holds", verify.Output, StringComparison.Ordinal);

        Assert.True(assessment.Exit == 0, assessment.ToString());
        Assert.Contains("\u001b[", assessment.Output, StringComparison.Ordinal);
        Assert.Contains("leading:", assessment.Output, StringComparison.Ordinal);
    }

    private static void AssertProblem(CliTool.Result r, int exit, string words)
    {
        Assert.True(r.Exit == exit, $"expected exit {exit}: {r}");
        Assert.True(r.Error.Contains(words, StringComparison.Ordinal), $"expected on stderr: {words}\n{r}");
        Assert.DoesNotContain(words, r.Output, StringComparison.Ordinal);
    }

    /// <summary>A seed document with a changed title: valid, but not what the store holds under its id.</summary>
    private static string ConflictingDocument()
    {
        var doc = JsonNode.Parse(File.ReadAllText(Path.Combine(ApiServer.SeedsFolder(), "documents", "nyt-2023-12-23-putin-signals.json")))!;
        doc["title"] = doc["title"]!.GetValue<string>() + " (edited)";
        var file = Path.Combine(Path.GetTempPath(), $"narrative-conflict-{Guid.NewGuid():N}.json");
        File.WriteAllText(file, doc.ToJsonString());
        return file;
    }

    private static string[] Lines(string text) => text.Split('\n', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);

}
