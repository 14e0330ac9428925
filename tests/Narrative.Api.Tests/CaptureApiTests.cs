using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using Narrative.Testing;

namespace Narrative.Api.Tests;

/// <summary>From a raw page to a verified document, over HTTP on a seeded database.</summary>
[Collection(PostgresCollection.Name)]
public sealed class CaptureApiTests(SeededApi api) : IClassFixture<SeededApi>, IDisposable
{
    private const string RetrievedAt = "2024-03-06T10:00:00Z";
    private readonly SeededApi _api = api;
    private readonly HttpClient _ingest = api.Server.Client(ApiServer.IngestKey);
    private readonly HttpClient _anon = api.Server.Client();

    public void Dispose()
    {
        _ingest.Dispose();
        _anon.Dispose();
    }

    private async Task<(long Events, long Raw)> Counts()
    {
        await using var cmd = _api.Server.Services.DataSource.CreateCommand(
            "select (select count(*) from narrative.mt_events where coalesce(user_name, '') not like 'handler:%'), (select count(*) from catalog.captures)");
        await using var r = await cmd.ExecuteReaderAsync();
        await r.ReadAsync();
        return (r.GetInt64(0), r.GetInt64(1));
    }

    private Task<HttpResponseMessage> Capture(byte[] body, string contentType = "text/html; charset=utf-8", string? url = TestPages.ArticleUrl,
        string? retrievedAt = RetrievedAt, HttpClient? client = null)
    {
        var query = new List<string>();
        if (url is not null) query.Add($"url={Uri.EscapeDataString(url)}");
        if (retrievedAt is not null) query.Add($"retrievedAt={Uri.EscapeDataString(retrievedAt)}");
        var content = new ByteArrayContent(body);
        content.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType);
        return (client ?? _ingest).PostAsync($"/api/captures?{string.Join('&', query)}", content);
    }

    private async Task<string> CaptureHtmlAsync()
    {
        using var r = await Capture(Encoding.UTF8.GetBytes(TestPages.Html));
        Assert.True(r.StatusCode is HttpStatusCode.Created or HttpStatusCode.OK, await r.Content.ReadAsStringAsync());
        return (await r.Content.ReadFromJsonAsync<JsonObject>())!["captureId"]!.GetValue<string>();
    }

    [Fact]
    public async Task the_same_page_twice_is_201_then_200_with_the_same_id_and_written_once()
    {
        // Bytes of its own: the class's other tests capture the test page on the same server.
        var bytes = Encoding.UTF8.GetBytes(TestPages.Html.Replace("</body>", "<!-- captured twice --></body>", StringComparison.Ordinal));
        var before = await Counts();
        using var first = await Capture(bytes);
        Assert.Equal(HttpStatusCode.Created, first.StatusCode);
        var a = (await first.Content.ReadFromJsonAsync<JsonObject>())!;
        Assert.True(a["created"]!.GetValue<bool>());
        Assert.Equal(Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(bytes)), a["sha256"]!.GetValue<string>());
        var afterFirst = await Counts();
        Assert.Equal((before.Events + 2, before.Raw + 1), afterFirst);

        using var again = await Capture(bytes, retrievedAt: "2024-03-07T10:00:00Z");
        Assert.Equal(HttpStatusCode.OK, again.StatusCode);
        var b = (await again.Content.ReadFromJsonAsync<JsonObject>())!;
        Assert.False(b["created"]!.GetValue<bool>());
        Assert.Equal(a["captureId"]!.GetValue<string>(), b["captureId"]!.GetValue<string>());
        Assert.Equal(afterFirst, await Counts());
    }

    [Fact]
    public async Task the_raw_page_comes_back_byte_for_byte()
    {
        // A byte-order mark, CRLF line ends and non-ASCII names: nothing may be normalised on the way.
        var bytes = Encoding.UTF8.GetPreamble().Concat(Encoding.UTF8.GetBytes(TestPages.Text.Replace("\n", "\r\n", StringComparison.Ordinal))).ToArray();
        using var r = await Capture(bytes, "text/plain");
        Assert.Equal(HttpStatusCode.Created, r.StatusCode);
        var id = (await r.Content.ReadFromJsonAsync<JsonObject>())!["captureId"]!.GetValue<string>();
        using var raw = await _anon.GetAsync($"/api/captures/{id}/raw");
        Assert.Equal(HttpStatusCode.OK, raw.StatusCode);
        Assert.Equal("text/plain", raw.Content.Headers.ContentType?.MediaType);
        Assert.Equal(bytes, await raw.Content.ReadAsByteArrayAsync());
    }

    [Fact]
    public async Task each_bad_page_is_a_problem_naming_what_is_wrong_and_writes_nothing()
    {
        var page = Encoding.UTF8.GetBytes(TestPages.Html);
        var cases = new (string Name, Func<Task<HttpResponseMessage>> Send, int Status, string? Field)[]
        {
            ("empty body", () => Capture([]), 400, "$"),
            ("binary file", () => Capture([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0x00, 0x00, 0x00, 0x0D]), 400, "$"),
            ("over the limit", () => Capture(Encoding.UTF8.GetBytes(new string('a', 2 * 1024 * 1024 + 1))), 413, null),
            ("Latin-1 text", () => Capture(Encoding.Latin1.GetBytes("Zoë Łukaszewicz said “no”"[..12] + " café"), "text/plain"), 400, "$"),
            ("a charset other than UTF-8", () => Capture(page, "text/html; charset=iso-8859-1"), 415, null),
            ("a PDF", () => Capture(page, "application/pdf"), 415, null),
            ("no url", () => Capture(page, url: null), 400, "url"),
            ("a relative url", () => Capture(page, url: "/2024/03/river-talks"), 400, "url"),
            ("no retrievedAt", () => Capture(page, retrievedAt: null), 400, "retrievedAt"),
            ("a retrievedAt that is no time", () => Capture(page, retrievedAt: "last tuesday"), 400, "retrievedAt"),
        };
        var before = await Counts();
        foreach (var (name, send, status, field) in cases)
        {
            using var r = await send();
            var body = await r.Content.ReadAsStringAsync();
            Assert.True((int)r.StatusCode == status, $"{name}: {(int)r.StatusCode} {body}");
            Assert.Equal("application/problem+json", r.Content.Headers.ContentType?.MediaType);
            if (field is not null) Assert.True(JsonNode.Parse(body)!["errors"]![field] is not null, $"{name}: {field} not named in {body}");
        }
        using var noKey = await Capture(page, client: _anon);
        Assert.Equal(HttpStatusCode.Unauthorized, noKey.StatusCode);
        Assert.Equal(before, await Counts());
    }

    [Fact]
    public async Task the_capture_answer_carries_the_extraction()
    {
        var id = await CaptureHtmlAsync();
        var c = (await _anon.GetFromJsonAsync<JsonObject>($"/api/captures/{id}"))!;
        Assert.Equal(TestPages.ArticleUrl, c["url"]!.GetValue<string>());
        Assert.Equal("Kremlin Floats River Talks, Officials Say", c["title"]!.GetValue<string>());
        Assert.Equal("2024-03-05", c["publishedAt"]!.GetValue<string>());
        Assert.Equal("high", c["publishedAtConfidence"]!.GetValue<string>());
        Assert.Equal(Encoding.UTF8.GetByteCount(TestPages.Html), c["bytes"]!.GetValue<long>());
        Assert.Contains(TestPages.KeptSentence, c["mainText"]!.GetValue<string>());
        Assert.DoesNotContain(TestPages.EssayMarker, c["mainText"]!.GetValue<string>());
        Assert.True(c["removedChars"]!.GetValue<int>() > 0);
        Assert.Contains(c["citedOutlets"]!.AsArray(), o => o!["name"]!.GetValue<string>() == "Bloomberg" && o["sourceId"]!.GetValue<string>() == "bloomberg");
        Assert.Contains(c["quotes"]!.AsArray(), q => q!["speaker"]?.GetValue<string>() == "Mr. Kovalenko");
        Assert.Equal(["Zoë Łukaszewicz", "Jürgen Ødegård"], c["byline"]!.AsArray().Select(n => n!.GetValue<string>()));
    }

    [Fact]
    public async Task a_document_whose_quotes_are_in_the_capture_is_ingested_and_its_evidence_shows_them_verified()
    {
        var id = await CaptureHtmlAsync();
        var doc = Documents.Valid("capture-test-2024-03-05-river");
        doc["captureId"] = id;
        doc["cites"] = new JsonArray();
        ((JsonObject)doc["items"]![0]!)["quote"] = TestPages.Quote;
        doc["items"]!.AsArray().RemoveAt(1);
        using var r = await _ingest.PostAsync("/api/documents", new StringContent(doc.ToJsonString(), Encoding.UTF8, "application/json"));
        Assert.True(r.StatusCode == HttpStatusCode.Created, await r.Content.ReadAsStringAsync());
        await _api.Server.Services.WaitForProjectionsAsync(TimeSpan.FromSeconds(30), CancellationToken.None);

        var a = (await _anon.GetFromJsonAsync<JsonObject>($"/api/topics/{Documents.Topic}/assessment"))!;
        var rows = a["evidence"]!.AsArray();
        var mine = rows.Single(e => e!["documentId"]!.GetValue<string>() == "capture-test-2024-03-05-river")!;
        Assert.True(mine["quoteVerified"]!.GetValue<bool>());
        Assert.Equal(id, mine["captureId"]!.GetValue<string>());
        // Seed documents have no capture.
        Assert.All(rows.Where(e => e!["documentId"]!.GetValue<string>().StartsWith("nyt-", StringComparison.Ordinal)), e => Assert.Null(e!["quoteVerified"]));

        var passage = (await _anon.GetFromJsonAsync<JsonObject>($"/api/captures/{id}/text?around={Uri.EscapeDataString(TestPages.Quote)}"))!;
        Assert.True(passage["found"]!.GetValue<bool>());
        Assert.StartsWith("We will not give up the river —", passage["match"]!.GetValue<string>());
        Assert.Contains("said Zoë", passage["after"]!.GetValue<string>());
    }

    [Fact]
    public async Task a_quote_not_in_the_capture_or_an_unknown_capture_is_400_naming_the_field_and_writes_nothing()
    {
        var id = await CaptureHtmlAsync();
        var before = await Counts();
        var doc = Documents.Valid("capture-test-2024-03-05-wrong");
        doc["captureId"] = id;
        ((JsonObject)doc["items"]![1]!)["quote"] = "We will never give up the river";
        using var r = await _ingest.PostAsync("/api/documents", new StringContent(doc.ToJsonString(), Encoding.UTF8, "application/json"));
        var body = await r.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.BadRequest, r.StatusCode);
        Assert.Contains(JsonNode.Parse(body)!["fieldErrors"]!.AsArray(),
            e => e!["field"]!.GetValue<string>() == "items[1].quote" && e["code"]!.GetValue<string>() == "quote_not_in_capture");

        doc["captureId"] = "no-such-capture";
        using var unknown = await _ingest.PostAsync("/api/documents", new StringContent(doc.ToJsonString(), Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.BadRequest, unknown.StatusCode);
        Assert.True(JsonNode.Parse(await unknown.Content.ReadAsStringAsync())!["errors"]!["captureId"] is not null);
        Assert.Equal(before, await Counts());
    }

    [Fact]
    public async Task a_newer_extractor_appends_a_new_extraction_and_reads_take_the_newest_while_the_old_event_stays()
    {
        var id = await CaptureHtmlAsync();
        var log = _api.Server.Services.Log;
        var stream = Narrative.Domain.NarrativeEventTypes.CaptureStream(id);
        // Stand in for an extraction made by an older extractor version.
        var old = new Narrative.Domain.PageExtracted(id, "capture-extractor/0", "Old title", [], null, "none", null, "old main text", 0, [], [], []);
        await log.AppendAsync(stream, Narrative.Storage.ExpectedVersion.Any, [new Narrative.Storage.EventData(Guid.NewGuid(), old)], CancellationToken.None);
        Assert.Equal("old main text", (await _anon.GetFromJsonAsync<JsonObject>($"/api/captures/{id}"))!["mainText"]!.GetValue<string>());

        using var rerun = await _ingest.PostAsync($"/api/captures/{id}/extract", null);
        Assert.Equal(HttpStatusCode.Created, rerun.StatusCode);
        var c = (await _anon.GetFromJsonAsync<JsonObject>($"/api/captures/{id}"))!;
        Assert.Contains(TestPages.KeptSentence, c["mainText"]!.GetValue<string>());
        Assert.Equal(3, c["extractions"]!.GetValue<int>());
        var events = await log.ReadStreamAsync(stream, CancellationToken.None);
        Assert.Equal(["narrative.page_captured.v1", "narrative.page_extracted.v1", "narrative.page_extracted.v1", "narrative.page_extracted.v1"],
            events.Select(e => e.Type));
        Assert.Contains("old main text", events[2].DataJson, StringComparison.Ordinal);

        using var again = await _ingest.PostAsync($"/api/captures/{id}/extract", null);
        Assert.Equal(HttpStatusCode.OK, again.StatusCode);
        Assert.Equal(4, (await log.ReadStreamAsync(stream, CancellationToken.None)).Count);
    }

    [Fact]
    public async Task the_draft_is_a_corpus_document_naming_the_capture_whose_placeholders_keep_it_from_being_ingested()
    {
        var id = await CaptureHtmlAsync();
        var draft = (await _anon.GetFromJsonAsync<JsonObject>($"/api/captures/{id}/draft"))!;
        Assert.Equal(id, draft["captureId"]!.GetValue<string>());
        Assert.Equal("2024-03-05", draft["publishedAt"]!.GetValue<string>());
        Assert.Equal(TestPages.ArticleUrl, draft["url"]!.GetValue<string>());
        var items = draft["items"]!.AsArray();
        Assert.Contains(items, i => i!["quote"]!.GetValue<string>().StartsWith("There are no talks", StringComparison.Ordinal)
            && i["attributedTo"]!.GetValue<string>() == "Mr. Kovalenko");
        Assert.StartsWith("TODO", items[0]!["topic"]!.GetValue<string>());

        var before = await Counts();
        using var r = await _ingest.PostAsync("/api/documents", new StringContent(draft.ToJsonString(), Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.BadRequest, r.StatusCode);
        Assert.Equal(before, await Counts());
    }
}
