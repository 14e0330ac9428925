using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Configuration;
using Narrative.Api.Hosting;
using Narrative.Testing;
using Serilog.Core;
using Serilog.Events;

namespace Narrative.Api.Tests;

/// <summary>The API with a low rate limit and body limit (no daemon, no seeds: only the HTTP surface is under test).</summary>
public sealed class GuardedApi(PostgresFixture pg) : IAsyncLifetime
{
    public const int RatePerSecond = 5;
    public const int MaxBody = 64 * 1024;

    public ApiServer Server { get; private set; } = null!;

    public async Task InitializeAsync() => Server = await ApiServer.StartAsync(await pg.CreateDatabaseAsync("guarded"), daemon: false,
        extra: ["--NARRATIVE_RATE_LIMIT", $"{RatePerSecond}", "--NARRATIVE_MAX_BODY_BYTES", $"{MaxBody}"]);

    public async Task DisposeAsync() => await Server.DisposeAsync();
}

[Collection(PostgresCollection.Name)]
public sealed class SecurityTests(PostgresFixture pg) : IAsyncLifetime
{
    private GuardedApi _api = null!;

    public async Task InitializeAsync()
    {
        _api = new GuardedApi(pg);
        await _api.InitializeAsync();
    }

    public async Task DisposeAsync() => await _api.DisposeAsync();

    [Fact]
    public async Task a_key_over_its_rate_gets_429_with_retry_after_while_another_key_is_still_served()
    {
        using var admin = _api.Server.Client(ApiServer.AdminKey);
        var answers = await Task.WhenAll(Enumerable.Range(0, 8 * GuardedApi.RatePerSecond).Select(_ => admin.GetAsync("/api/admin/projections")));
        var refused = answers.Where(r => r.StatusCode == HttpStatusCode.TooManyRequests).ToList();
        Assert.NotEmpty(refused);
        Assert.All(refused, r =>
        {
            Assert.True(int.Parse(r.Headers.GetValues("Retry-After").Single(), System.Globalization.CultureInfo.InvariantCulture) >= 1);
            Assert.Equal("application/problem+json", r.Content.Headers.ContentType?.MediaType);
        });
        foreach (var r in answers) r.Dispose();

        using var ingest = _api.Server.Client(ApiServer.IngestKey);
        using var other = await ingest.GetAsync("/api/topics");
        Assert.Equal(HttpStatusCode.OK, other.StatusCode);
    }

    [Fact]
    public async Task a_body_over_the_limit_is_a_413_problem_with_or_without_a_length_and_nothing_is_written()
    {
        using var ingest = _api.Server.Client(ApiServer.IngestKey);
        var big = Encoding.UTF8.GetBytes("{\"id\":\"" + new string('a', GuardedApi.MaxBody) + "\"}");
        using (var r = await ingest.PostAsync("/api/documents", new ByteArrayContent(big) { Headers = { ContentType = new("application/json") } }))
        {
            Assert.Equal(HttpStatusCode.RequestEntityTooLarge, r.StatusCode);
            Assert.Equal("application/problem+json", r.Content.Headers.ContentType?.MediaType);
        }
        // Chunked, so the server learns the size only while reading. It answers 413 and closes the connection; a client
        // still sending the rest of the body may see the close before it reads the answer.
        try
        {
            using var r = await ingest.PostAsync("/api/documents", new StreamContent(new MemoryStream(big)) { Headers = { ContentType = new("application/json") } });
            Assert.Equal(HttpStatusCode.RequestEntityTooLarge, r.StatusCode);
        }
        catch (HttpRequestException e) when (e.InnerException is HttpIOException or IOException)
        {
        }
        Assert.Equal(0, await _api.Server.Services.Log.HeadAsync(default));
        using var ready = await _api.Server.Client().GetAsync("/health/ready");
        Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
    }

    [Fact]
    public async Task every_answer_has_security_headers_and_the_page_a_policy_that_allows_only_its_own_script_files()
    {
        using var http = _api.Server.Client();
        using var page = await http.GetAsync("/index.html");
        var csp = page.Headers.GetValues("Content-Security-Policy").Single();
        Assert.Contains("script-src 'self'", csp, StringComparison.Ordinal);
        Assert.DoesNotContain("unsafe-inline", csp.Split(';').Single(d => d.Trim().StartsWith("script-src", StringComparison.Ordinal)), StringComparison.Ordinal);
        Assert.Contains("frame-ancestors 'none'", csp, StringComparison.Ordinal);
        Assert.Equal("nosniff", page.Headers.GetValues("X-Content-Type-Options").Single());
        Assert.Equal("DENY", page.Headers.GetValues("X-Frame-Options").Single());
        // The policy forbids inline script, so the page must have none.
        var html = await File.ReadAllTextAsync(Path.Combine(ApiServer.SeedsFolder(), "..", "src", "Narrative.Api", "wwwroot", "index.html"));
        Assert.Contains("<script", html, StringComparison.Ordinal);
        Assert.DoesNotMatch(@"<script(?![^>]*\ssrc=)[^>]*>", html);

        using var api = await http.GetAsync("/api/topics");
        Assert.Equal("nosniff", api.Headers.GetValues("X-Content-Type-Options").Single());
        using var raw = await http.GetAsync("/api/captures/no-such-capture/raw");
        Assert.StartsWith("sandbox", raw.Headers.GetValues("Content-Security-Policy").Single(), StringComparison.Ordinal);
    }

}

/// <summary>How keys and secrets are held and logged (no server needed).</summary>
public sealed class SecretTests
{
    [Fact]
    public void the_configured_keys_are_kept_only_as_sha256_hashes()
    {
        var options = NarrativeOptions.From(Config(("NARRATIVE_INGEST_KEY", "ingest-secret-1234"), ("NARRATIVE_ADMIN_KEY", "admin-secret-5678")));
        Assert.Equal(SHA256.HashData(Encoding.UTF8.GetBytes("ingest-secret-1234")), options.IngestKeyHash);
        Assert.Equal(SHA256.HashData(Encoding.UTF8.GetBytes("admin-secret-5678")), options.AdminKeyHash);
        var printed = options.ToString() + JsonSerializer.Serialize(options);
        Assert.DoesNotContain("ingest-secret-1234", printed, StringComparison.Ordinal);
        Assert.DoesNotContain("admin-secret-5678", printed, StringComparison.Ordinal);
    }

    [Fact]
    public void no_configured_secret_reaches_a_log_line_however_it_is_logged()
    {
        NarrativeOptions.From(Config(("NARRATIVE_INGEST_KEY", "ingest-logged-4321"), ("NARRATIVE_ADMIN_KEY", "admin-logged-8765"),
            ("NARRATIVE_DB", "Host=db;Username=narrative;Password=db-password-2468;Database=narrative")));
        var lines = new List<string>();
        var log = NarrativeLogging.Create(w => w.Sink(new Capture(lines)));
        log.Information("key {Key}", "ingest-logged-4321");
        log.Information("header {@Headers}", new { XApiKey = "admin-logged-8765", Other = "fine" });
        log.Information("strings {Values}", new[] { "a", "Host=db;Password=db-password-2468" });
        log.Warning("uri {Uri}", new Uri("postgres://narrative:db-password-2468@db/narrative"));
        Assert.Equal(4, lines.Count);
        foreach (var secret in (string[])["ingest-logged-4321", "admin-logged-8765", "db-password-2468"])
            Assert.DoesNotContain(lines, l => l.Contains(secret, StringComparison.Ordinal));
        Assert.Contains(lines, l => l.Contains("fine", StringComparison.Ordinal));
    }

    private static IConfiguration Config(params (string Key, string Value)[] values) =>
        new ConfigurationBuilder().AddInMemoryCollection(values.Select(v => new KeyValuePair<string, string?>(v.Key, v.Value))
            .Append(new("NARRATIVE_DATA", Path.Combine(Path.GetTempPath(), $"narrative-sec-{Guid.NewGuid():N}")))).Build();

    private sealed class Capture(List<string> lines) : ILogEventSink
    {
        public void Emit(LogEvent e)
        {
            using var w = new StringWriter();
            e.RenderMessage(w);
            lock (lines) lines.Add(w + " " + string.Join(" ", e.Properties.Select(p => p.Value.ToString())));
        }
    }
}
