using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json.Nodes;
using CsCheck;
using Narrative.Testing;

namespace Narrative.Reliability;

/// <summary>
/// Generated hostile input (CsCheck): broken documents, corrections, captures and query strings, plus oversized, deeply
/// nested, non-UTF-8 and slow requests. Each must get a 4xx with problem details, the log must not move, and the
/// server must stay ready.
/// </summary>
internal static class Hostile
{
    private static readonly string[] Injections =
    [
        "'; drop table narrative.mt_events; --", "1 or 1=1", "\" or \"\"=\"", "../../etc/passwd", "..%2f..%2fetc%2fpasswd", "%00", "$(id)",
        "<script>alert(1)</script>", "{{7*7}}", "\\u0000", "a\u0000b", "👀", new string('x', 5000),
    ];

    private static readonly string[] Fields = ["id", "source", "publishedAt", "title", "url", "authors", "cites", "items"];

    /// <summary>A valid document with one field replaced by something it must never accept (each garbage string starts with a character no id, date or enum allows; a title is made too long).</summary>
    private static readonly Gen<(string Kind, string Path, byte[] Body, string? ContentType)> Inputs = Gen.OneOf(
        Gen.Select(Gen.Int[0, Fields.Length - 1], Gen.String[Gen.Char, 0, 40], Gen.Int[0, Injections.Length - 1],
            (f, s, j) => ("document", "/api/documents", Encoding.UTF8.GetBytes(Broken(Fields[f], " \u0001" + s + Injections[j]).ToJsonString()), (string?)"application/json")),
        Gen.Select(Gen.String[Gen.Char, 0, 200], s => ("document", "/api/documents", Encoding.UTF8.GetBytes(s.Length == 0 ? "{" : "{" + s), (string?)"application/json")),
        Gen.Select(Gen.Int[0, Injections.Length - 1], Gen.String[Gen.Char.AlphaNumeric, 0, 20], (j, s) => ("correction",
            $"/api/documents/{Uri.EscapeDataString(Injections[j])}/corrections",
            Encoding.UTF8.GetBytes(new JsonObject { ["reason"] = s, ["items"] = new JsonArray(new JsonObject { ["id"] = Injections[j], ["credibility"] = 9 }) }.ToJsonString()),
            (string?)"application/json")),
        Gen.Select(Gen.Byte.Array[1, 64], b => ("capture", "/api/captures?url=" + Uri.EscapeDataString("not a url " + b.Length), b, (string?)"application/x-unknown")),
        Gen.Select(Gen.Int[0, Injections.Length - 1], j => ("capture", "/api/captures?url=" + Uri.EscapeDataString(Injections[j]), Array.Empty<byte>(), (string?)"text/html")),
        Gen.Select(Gen.Int[0, Injections.Length - 1], Gen.Int[0, 3], (j, q) => ("query", q switch
        {
            0 => $"/api/topics/putin-ceasefire-stance/assessment?asOf={Uri.EscapeDataString(Injections[j])}",
            1 => $"/api/topics/putin-ceasefire-stance/timeline?from={Uri.EscapeDataString(Injections[j])}&step=week",
            2 => $"/api/topics/{Uri.EscapeDataString(Injections[j])}/assessment",
            _ => $"/api/claims/{Uri.EscapeDataString(Injections[j])}/provenance?knownAt={Uri.EscapeDataString(Injections[j])}",
        }, Array.Empty<byte>(), (string?)null)),
        Gen.Select(Gen.Int[200, 20000], n => ("document", "/api/documents", Encoding.UTF8.GetBytes(new string('[', n) + new string(']', n)), (string?)"application/json")),
        Gen.Select(Gen.Byte[0x80, 0xFF].Array[1, 32], b => ("document", "/api/documents", NotUtf8(b), (string?)"application/json")));

    public static async Task<Row> RunAsync(ApiServer api, int count)
    {
        var samples = Inputs.Array[count].Single();
        using var ingest = api.Client(ApiServer.IngestKey);
        var before = await WrittenAsync(api);
        var head = await api.Services.Log.HeadAsync(default);
        long good = 0, bad = 0, protocol = 0;
        var failures = new SortedDictionary<string, int>(StringComparer.Ordinal);
        var latencies = new List<double>();
        foreach (var (kind, path, body, contentType) in samples)
        {
            using var request = new HttpRequestMessage(contentType is null ? HttpMethod.Get : HttpMethod.Post, path);
            if (contentType is not null) request.Content = new ByteArrayContent(body) { Headers = { ContentType = new(contentType) } };
            var sw = Stopwatch.StartNew();
            HttpResponseMessage r;
            try
            {
                r = await ingest.SendAsync(request);
            }
            catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
            {
                bad++;
                Count(failures, $"{kind} -> no answer ({ex.Message})");
                continue;
            }
            using var _ = r;
            latencies.Add(sw.Elapsed.TotalMilliseconds);
            var status = (int)r.StatusCode;
            var media = r.Content.Headers.ContentType?.MediaType;
            if (status is >= 400 and < 500 && media == "application/problem+json") good++;
            // Kestrel refuses a request line over its limit (414) or a path with an encoded NUL (400) before any
            // application code runs, with no body; every answer of the application itself carries problem details.
            else if (status is 400 or 414 or 431 && media is null && r.Content.Headers.ContentLength is null or 0) protocol++;
            else
            {
                bad++;
                // A bare answer (no problem details) names its path: it may come from Kestrel rather than the application.
                Count(failures, media is null ? $"{kind} {path[..Math.Min(60, path.Length)]} -> {status} (no body)" : $"{kind} -> {status} {media}");
            }
        }
        var extra = await ExtremesAsync(api, ingest);
        var moved = await WrittenAsync(api) - before;
        var what = moved > 0 ? $" ({await NewEventsAsync(api, head)})" : "";
        using var ready = await api.Client().GetAsync("/health/ready");
        var (p50, p99) = Row.Percentiles(latencies);
        var passed = bad == 0 && extra.Failures.Count == 0 && moved == 0 && ready.IsSuccessStatusCode;
        var refused = good + protocol + extra.Tried - extra.Failures.Count;
        return new Row("input.generated", "input", count + extra.Tried, refused, 0, moved, bad + extra.Failures.Count,
            p50, p99, passed,
            $"{count} generated inputs (CsCheck: broken documents, corrections, captures, query strings with SQL/path injection, deep nesting, non-UTF-8) " +
            $"and {extra.Tried} extremes (oversized bodies, a slow client): {good} answered 4xx problem+json, {protocol} a bare 400/414 from Kestrel " +
            $"(a path with an encoded NUL, a request line over its limit: refused before the application), {extra.Tried - extra.Failures.Count} extremes refused; " +
            $"events written meanwhile (not by handlers): {moved}{what}; ready afterwards: {ready.IsSuccessStatusCode}" +
            (failures.Count + extra.Failures.Count > 0
                ? "; failures: " + string.Join("; ", failures.Select(f => $"{f.Value} x {f.Key}").Concat(extra.Failures))
                : ""));
    }

    private static async Task<string> NewEventsAsync(ApiServer api, long after)
    {
        await using var cmd = api.Services.DataSource.CreateCommand(
            "select string_agg(type || ' in ' || stream_id || ' by ' || coalesce(user_name, '-'), ', ') from (select * from narrative.mt_events where seq_id > $1 and coalesce(user_name, '') not like 'handler:%' order by seq_id limit 5) e");
        cmd.Parameters.Add(new Npgsql.NpgsqlParameter { Value = after });
        return await cmd.ExecuteScalarAsync() as string ?? "";
    }

    private static void Count(SortedDictionary<string, int> counts, string key) => counts[key] = counts.GetValueOrDefault(key) + 1;

    /// <summary>Events written other than by the handlers (which go on appending their own in reaction to earlier load).</summary>
    private static async Task<long> WrittenAsync(ApiServer api)
    {
        await using var cmd = api.Services.DataSource.CreateCommand(
            "select count(*) from narrative.mt_events where coalesce(user_name, '') not like 'handler:%'");
        return (long)(await cmd.ExecuteScalarAsync())!;
    }

    private static byte[] NotUtf8(byte[] bytes) => [.. "{\"id\":\""u8.ToArray(), .. bytes, .. "\"}"u8.ToArray()];

    private static JsonObject Broken(string field, string garbage)
    {
        var doc = Traffic.Document("hostile-doc");
        // A title is free text, so garbage is only wrong there by its length (over 300 characters).
        doc[field] = field == "title" ? garbage + new string('t', 301) : garbage;
        return doc;
    }

    private static async Task<(int Tried, List<string> Failures)> ExtremesAsync(ApiServer api, HttpClient ingest)
    {
        var failures = new List<string>();
        // Over the 4 MiB server limit, and over the 1 MiB document limit.
        foreach (var size in new[] { 5 * 1024 * 1024, 1024 * 1024 + 10 })
        {
            var (status, error) = await Security.PostLargeAsync(ingest, size);
            if (status is not (413 or 400)) failures.Add($"{size} bytes -> {status?.ToString(CultureInfo.InvariantCulture) ?? error}");
        }
        // A slow client: headers sent one byte at a time, never finished. The server must drop it, and keep serving others.
        using var tcp = new TcpClient();
        await tcp.ConnectAsync(api.BaseAddress.Host, api.BaseAddress.Port);
        var stream = tcp.GetStream();
        var sw = Stopwatch.StartNew();
        var dropped = false;
        try
        {
            foreach (var b in "GET /api/topics HTTP/1.1\r\nHost: x\r\nX-Slow: "u8.ToArray())
            {
                await stream.WriteAsync(new[] { b });
                await Task.Delay(50);
            }
            while (sw.Elapsed < TimeSpan.FromSeconds(30))
            {
                await stream.WriteAsync("a"u8.ToArray());
                await Task.Delay(500);
                using var other = await api.Client().GetAsync("/health/ready");
                if (!other.IsSuccessStatusCode) failures.Add("not ready while a slow client was connected");
            }
        }
        catch (IOException) { dropped = true; }
        if (!dropped) failures.Add("a slow client's connection was still open after 30 s");
        return (3, failures);
    }
}
