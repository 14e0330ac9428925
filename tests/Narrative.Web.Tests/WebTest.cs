using Narrative.Testing;
using Xunit.Abstractions;

namespace Narrative.Web.Tests;

/// <summary>
/// A browser test class on the collection's one <see cref="WebSession"/>: its API server, a client of it and its
/// Chromium. After each test the page's console goes to the test output.
/// </summary>
[Collection(WebCollection.Name)]
public abstract class WebTest(WebSession web, ITestOutputHelper output) : IDisposable
{
    protected ApiServer Server { get; } = web.Server;
    protected HttpClient Api { get; } = web.Server.Client();
    protected Browser Browser { get; } = web.Browser;
    protected ITestOutputHelper Output { get; } = output;

    public void Dispose()
    {
        Api.Dispose();
        web.WriteConsole(Output);
        GC.SuppressFinalize(this);
    }
}
