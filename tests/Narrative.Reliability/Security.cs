using System.Globalization;
using System.Net;
using Narrative.Testing;

namespace Narrative.Reliability;

/// <summary>Each protection checked against a running server (the unit-level proofs are in tests/Narrative.Api.Tests/SecurityTests).</summary>
internal static class Security
{
    public static async Task<IReadOnlyList<Row>> RunAsync(ApiServer api, string primaryCs) =>
    [
        await Row.Guard("security.api-keys", "security", () => ApiKeysAsync(api)),
        await Row.Guard("security.headers", "security", () => HeadersAsync(api)),
        await Row.Guard("security.request-size", "security", () => RequestSizeAsync(api)),
        await Row.Guard("security.rate-limit", "security", () => RateLimitAsync(primaryCs)),
    ];

    private static async Task<Row> ApiKeysAsync(ApiServer api)
    {
        using var anonymous = api.Client();
        using var wrong = api.Client("not-the-key");
        using var r1 = await wrong.GetAsync("/api/admin/projections");
        using var r2 = await anonymous.GetAsync("/api/admin/projections");
        return Check("security.api-keys", r1.StatusCode == HttpStatusCode.Unauthorized && r2.StatusCode == HttpStatusCode.Unauthorized,
            $"wrong key -> {(int)r1.StatusCode}, no key -> {(int)r2.StatusCode}; keys held as SHA-256 hashes, compared with FixedTimeEquals (SecretTests)");
    }

    private static async Task<Row> HeadersAsync(ApiServer api)
    {
        using var anonymous = api.Client();
        using var page = await anonymous.GetAsync("/index.html");
        var csp = page.Headers.TryGetValues("Content-Security-Policy", out var v) ? v.Single() : "";
        return Check("security.headers", csp.Contains("script-src 'self'", StringComparison.Ordinal) && page.Headers.Contains("X-Content-Type-Options"),
            $"/index.html -> {(int)page.StatusCode}; Content-Security-Policy: {csp}");
    }

    private static async Task<Row> RequestSizeAsync(ApiServer api)
    {
        using var ingest = api.Client(ApiServer.IngestKey);
        var (status, error) = await PostLargeAsync(ingest, 5 * 1024 * 1024);
        return Check("security.request-size", status == 413, $"5 MiB body -> {status?.ToString(CultureInfo.InvariantCulture) ?? error}");
    }

    /// <summary>
    /// Posts a body of <paramref name="size"/> bytes as a well-behaved client would: with <c>Expect: 100-continue</c>, so
    /// a server that refuses it by its length answers before the body is sent (without it, the server's early answer
    /// and closed connection meet a client still sending, and the client sees a broken pipe instead of the status).
    /// </summary>
    public static async Task<(int? Status, string Error)> PostLargeAsync(HttpClient client, int size)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/documents")
        {
            Content = new ByteArrayContent(new byte[size]) { Headers = { ContentType = new("application/json") } },
        };
        request.Headers.ExpectContinue = true;
        try
        {
            using var r = await client.SendAsync(request);
            return ((int)r.StatusCode, "");
        }
        catch (HttpRequestException ex)
        {
            return (null, $"no answer ({ex.Message})");
        }
    }

    /// <summary>A second server on the same database with a low limit (the load server runs without one).</summary>
    private static async Task<Row> RateLimitAsync(string primaryCs)
    {
        await using var limited = await ApiServer.StartAsync(primaryCs, daemon: false, extra: ["--NARRATIVE_RATE_LIMIT", "5"]);
        using var admin = limited.Client(ApiServer.AdminKey);
        var answers = await Task.WhenAll(Enumerable.Range(0, 40).Select(_ => admin.GetAsync("/api/admin/projections")));
        var refused = answers.Count(a => a.StatusCode == HttpStatusCode.TooManyRequests && a.Headers.RetryAfter is not null);
        foreach (var a in answers) a.Dispose();
        return Check("security.rate-limit", refused > 0, $"40 concurrent requests at a limit of 5/s: {refused} answered 429 with Retry-After");
    }

    /// <summary>Every line the API logged during the whole run, searched for the keys every write and admin request sent.</summary>
    public static Row LogSecrets(string log, IReadOnlyList<string> secrets)
    {
        var lines = log.Split('\n');
        var leaks = lines.Count(l => secrets.Any(s => l.Contains(s, StringComparison.Ordinal)));
        return Check("security.log-secrets", leaks == 0, $"{lines.Length} log lines searched for the ingest and admin keys: {leaks} contain one");
    }

    private static Row Check(string name, bool passed, string detail) => new(name, "security", 1, passed ? 1 : 0, 0, 0, passed ? 0 : 1, 0, 0, passed, detail);
}
