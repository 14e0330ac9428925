using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using Narrative.Testing;
using Xunit.Abstractions;

namespace Narrative.Api.Tests;

/// <summary>
/// The OpenAPI document as the running API serves it: complete (ids, summaries, tags, typed answers, problems, the key
/// scheme), clean under Redocly's recommended rules, equal to the committed docs/openapi.json that the typed client is
/// generated from, and shown at /docs. One seeded server for the class.
/// </summary>
[Collection(PostgresCollection.Name)]
public sealed partial class OpenApiDocumentTests(SeededApi api, ITestOutputHelper output) : IClassFixture<SeededApi>
{
    private const string DocumentPath = "/openapi/v1.json";

    private async Task<JsonObject> ServedAsync()
    {
        using var http = api.Server.Client();
        return (await http.GetFromJsonAsync<JsonObject>(DocumentPath))!;
    }

    private static IEnumerable<(string Path, string Method, JsonObject Operation)> Operations(JsonObject doc) =>
        from path in doc["paths"]!.AsObject()
        from op in path.Value!.AsObject()
        where op.Key is "get" or "post" or "put" or "patch" or "delete"
        select (path.Key, op.Key, op.Value!.AsObject());

    [Fact]
    public async Task every_operation_has_an_id_a_summary_tags_typed_answers_and_problem_responses()
    {
        var doc = await ServedAsync();
        var ops = Operations(doc).ToList();
        Assert.True(ops.Count >= 30, $"only {ops.Count} operations");
        var tags = doc["tags"]!.AsArray().Select(t => t!["name"]!.GetValue<string>()).ToHashSet();
        foreach (var (path, method, op) in ops)
        {
            var where = $"{method.ToUpperInvariant()} {path}";
            Assert.False(string.IsNullOrWhiteSpace(op["operationId"]?.GetValue<string>()), $"{where}: no operationId");
            Assert.False(string.IsNullOrWhiteSpace(op["summary"]?.GetValue<string>()), $"{where}: no summary");
            Assert.True(op["tags"] is JsonArray { Count: > 0 } t && t.All(x => tags.Contains(x!.GetValue<string>())), $"{where}: no declared tag");
            Assert.True(op["security"] is JsonArray { Count: > 0 }, $"{where}: says nothing about security");
            foreach (var (status, response) in op["responses"]!.AsObject())
            {
                var content = response!["content"]?.AsObject();
                if (status.StartsWith('2'))
                    Assert.True(content is { Count: > 0 } && content.All(c => c.Value!["schema"] is not null), $"{where} {status}: no schema");
                if (status.StartsWith('4'))
                    Assert.True(content?["application/problem+json"]?["schema"] is not null, $"{where} {status}: not problem+json");
            }
        }
        var ids = ops.Select(o => o.Operation["operationId"]!.GetValue<string>()).ToList();
        Assert.Equal(ids.Count, ids.Distinct().Count());
    }

    [Fact]
    public async Task routes_that_need_a_key_declare_the_x_api_key_scheme_and_its_401_and_403()
    {
        var doc = await ServedAsync();
        var scheme = doc["components"]!["securitySchemes"]!["ApiKey"]!;
        Assert.Equal("apiKey", scheme["type"]!.GetValue<string>());
        Assert.Equal("header", scheme["in"]!.GetValue<string>());
        Assert.Equal("X-Api-Key", scheme["name"]!.GetValue<string>());

        static bool NeedsKey(JsonObject op) => op["security"]!.AsArray().Any(r => r!.AsObject().ContainsKey("ApiKey"));
        var ops = Operations(doc).ToDictionary(o => $"{o.Method.ToUpperInvariant()} {o.Path}", o => o.Operation);
        foreach (var keyed in new[] { "POST /api/documents", "POST /api/documents/{id}/corrections", "POST /api/topics", "POST /api/sources",
                     "POST /api/context-periods", "POST /api/captures", "GET /api/admin/projections", "POST /api/admin/projections/{name}/rebuild" })
        {
            Assert.True(NeedsKey(ops[keyed]), $"{keyed} does not declare the key");
            Assert.NotNull(ops[keyed]["responses"]!["401"]);
            Assert.NotNull(ops[keyed]["responses"]!["403"]);
        }
        foreach (var open in new[] { "GET /api/topics/{topic}/assessment", "GET /api/events", "GET /api/captures/{id}", "POST /api/references" })
            Assert.False(NeedsKey(ops[open]), $"{open} is open but declares the key");

        // The events page names both its cursor and the head of the log.
        var page = doc["components"]!["schemas"]!["EventPage"]!["properties"]!.AsObject();
        Assert.True(page.ContainsKey("last") && page.ContainsKey("head") && page.ContainsKey("events"));
    }

    [Fact]
    public async Task redocly_recommended_rules_find_no_error_in_the_served_document()
    {
        var file = Path.Combine(Path.GetTempPath(), $"narrative-openapi-{Guid.NewGuid():N}.json");
        await File.WriteAllTextAsync(file, (await ServedAsync()).ToJsonString());
        try
        {
            var lintDir = Path.Combine(RepoRoot(), "tests", "Narrative.Api.Tests", "openapi-lint");
            var cli = Path.Combine(lintDir, "node_modules", "@redocly", "cli", "bin", "cli.js");
            // Installed like the web page's packages: npm ci from the committed lockfile, again when the lockfile is newer.
            var lockFile = Path.Combine(lintDir, "package-lock.json");
            if (!File.Exists(cli) || File.GetLastWriteTimeUtc(lockFile) > File.GetLastWriteTimeUtc(Path.Combine(lintDir, "node_modules")))
                Assert.True((await RunAsync("npm", ["ci", "--no-audit", "--no-fund", "--loglevel=error"], lintDir)).Code == 0, "npm ci failed");
            var (code, stdout, stderr) = await RunAsync("node",
                [cli, "lint", "--extends", "recommended", "--format", "json", file], lintDir);
            var report = JsonNode.Parse(stdout[stdout.IndexOf('{')..])!;
            foreach (var problem in report["problems"]!.AsArray())
                output.WriteLine($"{problem!["severity"]} {problem["ruleId"]}: {problem["message"]} at {problem["location"]?[0]?["pointer"]}");
            var errors = report["totals"]!["errors"]!.GetValue<int>();
            Assert.True(errors == 0 && code == 0, $"Redocly found {errors} errors (exit {code}); see the test output. {stderr}");
        }
        finally
        {
            File.Delete(file);
        }
    }

    /// <summary>
    /// The client is generated from the committed document at build time, so the committed one must be what the API
    /// serves. NARRATIVE_UPDATE_OPENAPI=1 rewrites it instead of failing.
    /// </summary>
    [Fact]
    public async Task the_committed_openapi_document_is_the_one_the_api_serves()
    {
        var served = await ServedAsync();
        var path = Path.Combine(RepoRoot(), "docs", "openapi.json");
        var committed = File.Exists(path) ? JsonNode.Parse(await File.ReadAllTextAsync(path)) : null;
        if (JsonNode.DeepEquals(served, committed)) return;
        if (Environment.GetEnvironmentVariable("NARRATIVE_UPDATE_OPENAPI") == "1")
        {
            var options = new JsonSerializerOptions { WriteIndented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
            await File.WriteAllTextAsync(path, served.ToJsonString(options) + "\n");
            return;
        }
        Assert.Fail("docs/openapi.json differs from the document the API serves. Refresh it with " +
                    "NARRATIVE_UPDATE_OPENAPI=1 dotnet test tests/Narrative.Api.Tests --filter OpenApiDocumentTests, then rebuild (the client is generated from it).");
    }

    [Fact]
    public async Task the_api_reference_at_docs_is_served_offline_from_the_document()
    {
        using var http = api.Server.Client();
        var page = await http.GetAsync("/docs/");
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.Equal("text/html", page.Content.Headers.ContentType?.MediaType);
        var html = await page.Content.ReadAsStringAsync();
        Assert.Contains("\"url\":\"openapi/v1.json\"", html, StringComparison.Ordinal);
        // Everything the page loads comes from this server: no CDN script, no web fonts, no telemetry.
        Assert.DoesNotContain("src=\"http", html, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("\"withDefaultFonts\":false", html, StringComparison.Ordinal);
        Assert.Contains("\"telemetry\":false", html, StringComparison.Ordinal);
        foreach (var script in new[] { "scalar.js", "scalar.aspnetcore.js" })
        {
            using var r = await http.GetAsync($"/docs/{script}");
            Assert.Equal(HttpStatusCode.OK, r.StatusCode);
            Assert.True((await r.Content.ReadAsByteArrayAsync()).Length > 1000, $"{script} is empty");
        }
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync(DocumentPath)).StatusCode);
    }

    private static string RepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Narrative.sln"))) return dir.FullName;
        throw new DirectoryNotFoundException("Narrative.sln not found above " + AppContext.BaseDirectory);
    }

    private static async Task<(int Code, string Stdout, string Stderr)> RunAsync(string file, IEnumerable<string> args, string workingDirectory)
    {
        var start = new ProcessStartInfo(file) { WorkingDirectory = workingDirectory, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args) start.ArgumentList.Add(a);
        // Redocly asks the internet for updates and sends usage data unless told not to.
        start.Environment["REDOCLY_TELEMETRY"] = "off";
        start.Environment["REDOCLY_SUPPRESS_UPDATE_NOTICE"] = "true";
        start.Environment["NO_COLOR"] = "1";
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        return (process.ExitCode, await stdout, await stderr);
    }
}
