using Narrative.Testing;
using Xunit.Abstractions;

namespace Narrative.Web.Tests;

[CollectionDefinition(Name)]
public sealed class WebCollection : ICollectionFixture<WebSession>
{
    public const string Name = "web";
}

/// <summary>
/// The seeded API serving the repository's web page, and a headless Chromium to drive it: started once for all the
/// browser tests (a collection fixture), on a throwaway PostgreSQL of its own. Tests that write add topics or
/// documents of their own, so that the seeded topic looks the same whatever order the tests run in.
/// </summary>
public sealed class WebSession : IAsyncLifetime
{
    private readonly PostgresFixture _pg = new();

    public ApiServer Server { get; private set; } = null!;
    public Browser Browser { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        await _pg.InitializeAsync();
        // Serve the page from the repository's wwwroot (the test binaries have no copy of their own).
        Environment.SetEnvironmentVariable("NARRATIVE_WEBROOT", Path.Combine(RepositoryRoot(), "src", "Narrative.Api", "wwwroot"));
        var browser = Task.Run(Browser.Start);
        Server = await ApiServer.StartAsync(_pg, seeds: ApiServer.SeedsFolder());
        Browser = await browser;
    }

    public static string RepositoryRoot() => Directory.GetParent(ApiServer.SeedsFolder())!.FullName;

    /// <summary>Writes the browser's console since the last call to a test's output.</summary>
    public void WriteConsole(ITestOutputHelper output)
    {
        foreach (var entry in Browser.ConsoleLog())
            output.WriteLine($"browser console: {entry}");
    }

    public async Task DisposeAsync()
    {
        Browser?.Dispose();
        if (Server is not null) await Server.DisposeAsync();
        await _pg.DisposeAsync();
    }
}
