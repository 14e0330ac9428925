using Narrative.Testing;
using Xunit.Abstractions;

namespace Narrative.Web.Tests;

/// <summary>
/// The seeded API serving the repository's web page, and a headless Chromium to drive it: what every browser test
/// class starts. Disposing it writes the browser's console to the test output, then stops both.
/// </summary>
public sealed class WebSession(ApiServer server, Browser browser, ITestOutputHelper output) : IAsyncDisposable
{
    public ApiServer Server { get; } = server;
    public Browser Browser { get; } = browser;

    public static async Task<WebSession> StartAsync(PostgresFixture pg, ITestOutputHelper output)
    {
        // Serve the page from the repository's wwwroot (the test binaries have no copy of their own).
        var root = Directory.GetParent(ApiServer.SeedsFolder())!.FullName;
        Environment.SetEnvironmentVariable("NARRATIVE_WEBROOT", Path.Combine(root, "src", "Narrative.Api", "wwwroot"));
        var browser = Task.Run(Browser.Start);
        var server = await ApiServer.StartAsync(pg, seeds: ApiServer.SeedsFolder());
        return new WebSession(server, await browser, output);
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var entry in Browser.ConsoleLog())
            output.WriteLine($"browser console: {entry}");
        Browser.Dispose();
        await Server.DisposeAsync();
    }
}
