using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using Narrative.Testing;
using Npgsql;

namespace Narrative.Api.Tests;

/// <summary>A primary, its streaming standby, and the seeded API on both (NARRATIVE_DB and NARRATIVE_DB_READ).</summary>
public sealed class ReplicaApi : IAsyncLifetime
{
    private readonly ReplicaFixture _clusters = new();

    public ApiServer Server { get; private set; } = null!;
    public ReplicaFixture Clusters => _clusters;
    public string ReplicaConnectionString { get; private set; } = "";

    public async Task InitializeAsync()
    {
        await _clusters.InitializeAsync();
        var (primary, replica) = await _clusters.CreateDatabaseAsync("api");
        ReplicaConnectionString = replica;
        Server = await ApiServer.StartAsync(primary, ApiServer.SeedsFolder(), extra: ["--NARRATIVE_DB_READ", replica]);
    }

    public async Task DisposeAsync()
    {
        await Server.DisposeAsync();
        await _clusters.DisposeAsync();
    }
}

[CollectionDefinition(Name)]
public sealed class ReplicaCollection : ICollectionFixture<ReplicaApi>
{
    public const string Name = "replicas";
}

[Collection(ReplicaCollection.Name)]
public sealed class ReplicaTests(ReplicaApi api)
{
    private const string Assessment = $"/api/topics/{Documents.Topic}/assessment";

    [Fact]
    public async Task point_in_time_queries_are_served_by_the_replica_and_writes_by_the_primary()
    {
        using var http = api.Server.Client();
        using var r = await http.GetAsync($"{Assessment}?asOf=2024-01-31");
        Assert.Equal(HttpStatusCode.OK, r.StatusCode);
        Assert.Equal("replica-1", r.Headers.GetValues("X-Served-By").Single());
        await using var replica = NpgsqlDataSource.Create(api.ReplicaConnectionString);
        await using var cmd = replica.CreateCommand("select pg_is_in_recovery()");
        Assert.True((bool)(await cmd.ExecuteScalarAsync())!);

        // The write went to the primary (a standby refuses writes) and says how to read it back.
        var (token, position) = await PostDocumentAsync("replica-2024-03-02-write");
        Assert.Matches(@"^[0-9A-F]+/[0-9A-F]+:\d+$", token);
        Assert.True(position > 0);
    }

    [Fact]
    public async Task a_query_presenting_a_writes_token_sees_that_write_wherever_it_is_served()
    {
        using var http = api.Server.Client();
        for (var i = 0; i < 5; i++)
        {
            var id = $"replica-2024-03-03-ryw{i}";
            var (token, _) = await PostDocumentAsync(id);
            using var request = new HttpRequestMessage(HttpMethod.Get, Assessment);
            request.Headers.Add("X-Consistent-After", token);
            using var r = await http.SendAsync(request);
            Assert.Equal(HttpStatusCode.OK, r.StatusCode);
            Assert.False(r.Headers.Contains("X-Consistency"));
            var evidence = (await r.Content.ReadFromJsonAsync<JsonObject>())!["evidence"]!.AsArray();
            Assert.Contains(evidence, e => e!["itemId"]!.GetValue<string>() == $"{id}-a");
        }
    }

    [Fact]
    public async Task while_the_replica_is_paused_a_token_query_goes_to_the_primary_and_a_plain_query_gets_the_replicas_older_state()
    {
        using var http = api.Server.Client();
        using var admin = api.Server.Client(ApiServer.AdminKey);
        await using var standby = NpgsqlDataSource.Create(api.ReplicaConnectionString);
        await Exec(standby, "select pg_wal_replay_pause()");
        try
        {
            var id = "replica-2024-03-04-paused";
            var (token, _) = await PostDocumentAsync(id);

            using (var request = new HttpRequestMessage(HttpMethod.Get, Assessment))
            {
                request.Headers.Add("X-Consistent-After", token);
                using var r = await http.SendAsync(request);
                Assert.Equal("primary", r.Headers.GetValues("X-Served-By").Single());
                Assert.Contains(await Evidence(r), e => e == $"{id}-a");
            }

            // Without a token the replica answers from what it has replayed; its topic cache is keyed on that state.
            using (var r = await http.GetAsync(Assessment))
            {
                Assert.Equal("replica-1", r.Headers.GetValues("X-Served-By").Single());
                Assert.DoesNotContain(await Evidence(r), e => e == $"{id}-a");
            }

            var replicaRow = await ReplicaRowAsync(admin);
            Assert.Equal("streaming", replicaRow["state"]!.GetValue<string>());
            Assert.True(replicaRow["lag"]!.GetValue<long>() > 0);
            Assert.True(replicaRow["replica"]!["bytes"]!.GetValue<long>() > 0);
        }
        finally
        {
            await Exec(standby, "select pg_wal_replay_resume()");
        }
    }

    [Fact]
    public async Task a_malformed_consistency_token_is_a_400_naming_the_header()
    {
        using var http = api.Server.Client();
        using var request = new HttpRequestMessage(HttpMethod.Get, Assessment);
        request.Headers.Add("X-Consistent-After", "'; drop table x; --");
        using var r = await http.SendAsync(request);
        Assert.Equal(HttpStatusCode.BadRequest, r.StatusCode);
        Assert.Equal("application/problem+json", r.Content.Headers.ContentType?.MediaType);
        Assert.Contains("X-Consistent-After", await r.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    private async Task<(string Token, long Position)> PostDocumentAsync(string id)
    {
        using var ingest = api.Server.Client(ApiServer.IngestKey);
        using var r = await ingest.PostAsync("/api/documents",
            new StringContent(Documents.Valid(id).ToJsonString(), Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.Created, r.StatusCode);
        var body = (await r.Content.ReadFromJsonAsync<JsonObject>())!;
        var token = r.Headers.GetValues("X-Consistency-Token").Single();
        Assert.EndsWith($":{body["position"]!.GetValue<long>()}", token, StringComparison.Ordinal);
        Assert.Equal(body["position"]!.GetValue<long>().ToString(System.Globalization.CultureInfo.InvariantCulture),
            r.Headers.GetValues("X-Log-Position").Single());
        return (token, body["position"]!.GetValue<long>());
    }

    private static async Task<List<string>> Evidence(HttpResponseMessage r) =>
        [.. (await r.Content.ReadFromJsonAsync<JsonObject>())!["evidence"]!.AsArray().Select(e => e!["itemId"]!.GetValue<string>())];

    private static async Task<JsonObject> ReplicaRowAsync(HttpClient admin)
    {
        var rows = (await admin.GetFromJsonAsync<JsonArray>("/api/admin/projections"))!;
        return rows.Single(x => x!["kind"]!.GetValue<string>() == "replica")!.AsObject();
    }

    private static async Task Exec(NpgsqlDataSource db, string sql)
    {
        await using var cmd = db.CreateCommand(sql);
        await cmd.ExecuteNonQueryAsync();
    }
}
