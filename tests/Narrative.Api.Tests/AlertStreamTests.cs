using System.Net;
using System.Text.Json.Nodes;
using Narrative.Testing;

namespace Narrative.Api.Tests;

[Collection(PostgresCollection.Name)]
public sealed class AlertStreamTests(PostgresFixture pg) : IAsyncLifetime
{
    private SeededApi _api = null!;

    public async Task InitializeAsync()
    {
        _api = new SeededApi(pg);
        await _api.InitializeAsync();
    }

    public async Task DisposeAsync() => await _api.DisposeAsync();

    [Fact]
    public async Task an_sse_client_connected_before_a_shifting_correction_receives_the_alert()
    {
        using var http = _api.Server.Client();
        http.Timeout = Timeout.InfiniteTimeSpan;
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        using var response = await http.GetAsync("/api/alerts/stream", HttpCompletionOption.ResponseHeadersRead, cts.Token);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(cts.Token));
        Assert.Equal("ready", (await NextEvent(reader, cts.Token)).Event);

        // Re-rate the NYT's items so that "feigned" no longer leads: one correction, one transaction, one shift.
        using var ingest = _api.Server.Client(ApiServer.IngestKey);
        var items = new JsonArray();
        foreach (var id in new[] { "nyt-2023-12-23-backchannel", "nyt-2023-12-23-fall-2022-feelers", "nyt-2023-12-23-opportunism", "nyt-2023-12-23-peskov-reply", "nyt-2023-12-23-us-officials-doubt" })
            items.Add(new JsonObject { ["id"] = id, ["credibility"] = 1, ["ratings"] = new JsonObject { ["genuine"] = "II", ["feigned"] = "II", ["conditional"] = "II", ["maximalist"] = "C" } });
        var correction = new JsonObject { ["reason"] = "test: a shifting correction", ["items"] = items };
        using (var r = await ingest.PostAsync("/api/documents/nyt-2023-12-23-putin-signals/corrections",
                   new StringContent(correction.ToJsonString(), System.Text.Encoding.UTF8, "application/json")))
            Assert.True(r.StatusCode == HttpStatusCode.Created, await r.Content.ReadAsStringAsync());

        // The seeds' timing alerts (signals shortly before aid decisions) may still be arriving: wait for the shift.
        (string Event, string Data, string? Id) alert;
        JsonNode payload;
        do
        {
            alert = await NextEvent(reader, cts.Token);
            Assert.Equal("alert", alert.Event);
            payload = JsonNode.Parse(alert.Data)!["payload"]!;
        } while (payload["kind"]!.GetValue<string>() != "leading-hypothesis-shifted");
        Assert.Equal("putin-ceasefire-stance", payload["topic"]!.GetValue<string>());
        Assert.Equal("feigned", payload["from"]!.GetValue<string>());
        Assert.Equal("maximalist", payload["to"]!.GetValue<string>());
        Assert.NotNull(alert.Id);
    }

    private static async Task<(string Event, string Data, string? Id)> NextEvent(StreamReader reader, CancellationToken ct)
    {
        string? name = null, id = null;
        var data = new List<string>();
        while (await reader.ReadLineAsync(ct) is { } line)
        {
            if (line.Length == 0)
            {
                if (data.Count > 0 || name is not null) return (name ?? "message", string.Join("\n", data), id);
                continue;
            }
            if (line.StartsWith("event:", StringComparison.Ordinal)) name = line[6..].Trim();
            else if (line.StartsWith("data:", StringComparison.Ordinal)) data.Add(line[5..].TrimStart());
            else if (line.StartsWith("id:", StringComparison.Ordinal)) id = line[3..].Trim();
        }
        throw new EndOfStreamException("the alert stream ended");
    }
}
