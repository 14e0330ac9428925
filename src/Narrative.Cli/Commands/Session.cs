using System.Text.Json;
using Narrative.Analysis;
using Narrative.Storage.Postgres;
using Narrative.Storage.Subscriptions;
using Spectre.Console;

namespace Narrative.Cli.Commands;

/// <summary>An open database for one command: the configured server, or the embedded one the API uses (shared if it runs).</summary>
public sealed class Session : IAsyncDisposable
{
    private readonly DatabaseHost _host;

    private Session(DatabaseHost host, NarrativeServices services)
    {
        _host = host;
        Services = services;
    }

    public NarrativeServices Services { get; }

    public static async Task<Session> OpenAsync(string? db, CancellationToken ct)
    {
        var configured = db ?? Environment.GetEnvironmentVariable("NARRATIVE_DB");
        var data = Environment.GetEnvironmentVariable("NARRATIVE_DATA") is { Length: > 0 } d ? d : ".narrative";
        var host = await DatabaseHost.StartAsync(configured, data, "narrative", ct);
        return new Session(host, await NarrativeServices.OpenAsync(host.ConnectionString, ct));
    }

    /// <summary>
    /// Makes the read models current before a query. If a daemon (the API) owns the projections it does the work;
    /// otherwise this process runs them until they have caught up.
    /// </summary>
    public async Task CatchUpAsync(CancellationToken ct)
    {
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var daemon = new SubscriptionDaemon(Services.Store, Services.Projections,
            new SubscriptionOptions { PollInterval = TimeSpan.FromMilliseconds(100), NodeId = $"cli:{Environment.ProcessId}" }).RunAsync(stop.Token);
        try { await Services.WaitForProjectionsAsync(TimeSpan.FromMinutes(10), ct); }
        finally
        {
            await stop.CancelAsync();
            await daemon;
        }
    }

    public static void Print<T>(T value, bool json, Action<T> table)
    {
        // Raw JSON through the console's writer (not markup), so it can be piped, and captured in tests.
        if (json) AnsiConsole.Profile.Out.Writer.WriteLine(JsonSerializer.Serialize(value, new JsonSerializerOptions(NarrativeEvents.Json) { WriteIndented = true }));
        else table(value);
    }

    public static int Fail(string message)
    {
        AnsiConsole.MarkupLine($"[red]error:[/] {Markup.Escape(message)}");
        return 1;
    }

    public async ValueTask DisposeAsync()
    {
        await Services.DisposeAsync();
        await _host.DisposeAsync();
    }
}
