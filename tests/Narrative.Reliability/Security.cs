using System.Net;
using System.Text;
using Narrative.Testing;

namespace Narrative.Reliability;

/// <summary>Each protection checked against a running server (the unit-level proofs are in tests/Narrative.Api.Tests/SecurityTests).</summary>
internal static class Security
{
    public static async Task<IReadOnlyList<Row>> RunAsync(ApiServer api, string primaryCs)
    {
        var rows = new List<Row>();
        using var anonymous = api.Client();
        using var wrong = api.Client("not-the-key");
        using var r1 = await wrong.GetAsync("/api/admin/projections");
        using var r2 = await anonymous.GetAsync("/api/admin/projections");
        rows.Add(Check("security.api-keys", r1.StatusCode == HttpStatusCode.Unauthorized && r2.StatusCode == HttpStatusCode.Unauthorized,
            $"wrong key -> {(int)r1.StatusCode}, no key -> {(int)r2.StatusCode}; keys held as SHA-256 hashes, compared with FixedTimeEquals (SecretTests)"));

        using var page = await anonymous.GetAsync("/index.html");
        var csp = page.Headers.TryGetValues("Content-Security-Policy", out var v) ? v.Single() : "";
        rows.Add(Check("security.headers", csp.Contains("script-src 'self'", StringComparison.Ordinal) && page.Headers.Contains("X-Content-Type-Options"),
            $"Content-Security-Policy: {csp}"));

        using var ingest = api.Client(ApiServer.IngestKey);
        using var big = await ingest.PostAsync("/api/documents", new ByteArrayContent(new byte[5 * 1024 * 1024]) { Headers = { ContentType = new("application/json") } });
        rows.Add(Check("security.request-size", big.StatusCode == HttpStatusCode.RequestEntityTooLarge, $"5 MiB body -> {(int)big.StatusCode}"));

        // A second server on the same database with a low limit (the load server runs without one).
        await using var limited = await ApiServer.StartAsync(primaryCs, daemon: false, extra: ["--NARRATIVE_RATE_LIMIT", "5"]);
        using var admin = limited.Client(ApiServer.AdminKey);
        var answers = await Task.WhenAll(Enumerable.Range(0, 40).Select(_ => admin.GetAsync("/api/admin/projections")));
        var refused = answers.Count(a => a.StatusCode == HttpStatusCode.TooManyRequests && a.Headers.RetryAfter is not null);
        foreach (var a in answers) a.Dispose();
        rows.Add(Check("security.rate-limit", refused > 0, $"40 concurrent requests at a limit of 5/s: {refused} answered 429 with Retry-After"));

        return rows;
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
