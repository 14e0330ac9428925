using System.Net.Http.Headers;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Narrative.Analysis;
using Narrative.Api.Hosting;

namespace Narrative.Testing;

/// <summary>
/// The real API on Kestrel (127.0.0.1, a free port) over a fresh database of the shared test cluster.
/// Optionally ingests a corpus folder at start-up, exactly as ./ops/run does.
/// </summary>
public sealed class ApiServer : IAsyncDisposable
{
    public const string IngestKey = "test-ingest-key";
    public const string AdminKey = "test-admin-key";

    private readonly WebApplication _app;

    private ApiServer(WebApplication app, Uri baseAddress)
    {
        _app = app;
        BaseAddress = baseAddress;
    }

    public Uri BaseAddress { get; }
    public NarrativeServices Services => _app.Services.GetRequiredService<NarrativeServices>();

    public static async Task<ApiServer> StartAsync(PostgresFixture pg, string? seeds = null, bool daemon = true, string? dataDir = null) =>
        await StartAsync(await pg.CreateDatabaseAsync("api"), seeds, daemon, dataDir);

    /// <summary>The API over the database <paramref name="cs"/>, with further settings (<c>--NAME value</c> pairs) in <paramref name="extra"/>.</summary>
    public static async Task<ApiServer> StartAsync(string cs, string? seeds = null, bool daemon = true, string? dataDir = null,
        IReadOnlyList<string>? extra = null)
    {
        var args = new List<string>
        {
            "--urls", "http://127.0.0.1:0",
            "--NARRATIVE_DB", cs,
            "--NARRATIVE_INGEST_KEY", IngestKey,
            "--NARRATIVE_ADMIN_KEY", AdminKey,
            "--NARRATIVE_DATA", dataDir ?? Path.Combine(Path.GetTempPath(), $"narrative-api-{Guid.NewGuid():N}"),
            "--Narrative:Daemon", daemon ? "true" : "false",
            // One process per test database: no need to wait for HotCold leader election.
            "--Narrative:DaemonMode", "Solo",
        };
        if (seeds is not null) args.AddRange(["--seeds", seeds]);
        if (extra is not null) args.AddRange(extra);
        var app = await NarrativeApi.BuildAsync([.. args], CancellationToken.None);
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        var server = new ApiServer(app, new Uri(address));
        if (seeds is not null || daemon) await server.WaitUntilReadyAsync(TimeSpan.FromMinutes(2));
        return server;
    }

    /// <summary>The repository's seeds/ folder, found by walking up from the test binaries.</summary>
    public static string SeedsFolder()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Narrative.sln"))) return Path.Combine(dir.FullName, "seeds");
        throw new DirectoryNotFoundException("seeds/ not found above " + AppContext.BaseDirectory);
    }

    public HttpClient Client(string? key = null)
    {
        var client = new HttpClient { BaseAddress = BaseAddress, Timeout = TimeSpan.FromSeconds(60) };
        if (key is not null) client.DefaultRequestHeaders.Add(ApiKeys.Header, key);
        client.DefaultRequestHeaders.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
        return client;
    }

    public async Task WaitUntilReadyAsync(TimeSpan timeout)
    {
        using var client = Client();
        var until = DateTime.UtcNow + timeout;
        while (true)
        {
            using var r = await client.GetAsync("/health/ready");
            if (r.IsSuccessStatusCode) return;
            if (DateTime.UtcNow > until) throw new TimeoutException("API not ready: " + await r.Content.ReadAsStringAsync());
            await Task.Delay(50);
        }
    }

    /// <summary>Waits until the read models have processed everything appended so far.</summary>
    public Task CatchUpAsync() => Services.WaitForProjectionsAsync(TimeSpan.FromSeconds(60), CancellationToken.None);

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
