using System.Text.Json;
using JasperFx.Events.Daemon;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Narrative.Analysis;
using Narrative.Storage.Postgres;
using Serilog;
using Spectre.Console;

namespace Narrative.Cli.Commands;

/// <summary>
/// An open database for one command: the configured server, or the embedded one the API uses (shared if it runs),
/// with the same Marten and Wolverine wiring as the API, on a generic host that lives as long as the command.
/// </summary>
public sealed class Session : IAsyncDisposable
{
    private readonly DatabaseHost _database;
    private readonly IHost _host;

    private Session(DatabaseHost database, IHost host)
    {
        _database = database;
        _host = host;
        Services = host.Services.GetRequiredService<NarrativeServices>();
    }

    public NarrativeServices Services { get; }

    /// <summary>
    /// Opens the database and starts the host. <paramref name="project"/> runs Marten's daemon here (Solo: a command is
    /// one short-lived process), for commands that must bring the read models up to date themselves; every other
    /// command reads what is there and leaves projecting to the API.
    /// </summary>
    public static async Task<Session> OpenAsync(string? db, bool project, CancellationToken ct)
    {
        var configured = db ?? Environment.GetEnvironmentVariable("NARRATIVE_DB");
        var data = Environment.GetEnvironmentVariable("NARRATIVE_DATA") is { Length: > 0 } d ? d : ".narrative";
        var database = await DatabaseHost.StartAsync(configured, data, "narrative", ct);
        try
        {
            // Marten prints "the async daemon is disabled" with Console.WriteLine when it builds the store without one:
            // true, and intended here, but on stdout it would corrupt --json output, so it goes to stderr instead.
            // Marten's and Wolverine's logs go through the CLI's Serilog logger (warnings and up, to stderr).
            // HotCold, like the API: when an API node already owns the daemon, this process leaves the projecting to it.
            var stdout = Console.Out;
            Console.SetOut(Console.Error);
            try
            {
                var host = await NarrativeHosting.StartHostAsync(database.ConnectionString,
                    new NarrativeRuntime { Daemon = project, DaemonMode = DaemonMode.HotCold }, Log.Logger, ct);
                return new Session(database, host);
            }
            finally
            {
                Console.SetOut(stdout);
            }
        }
        catch
        {
            await database.DisposeAsync();
            throw;
        }
    }

    /// <summary>Waits until the daemon this session runs has projected everything appended so far.</summary>
    public Task CatchUpAsync(CancellationToken ct) => Services.WaitForProjectionsAsync(TimeSpan.FromMinutes(10), ct);

    /// <summary>
    /// Says so on stderr when the analysis read model is behind the log: queries answer from the read model, and this
    /// command does not project (the API's daemon does, or the next `narrative ingest`).
    /// </summary>
    public async Task WarnIfBehindAsync(CancellationToken ct)
    {
        var analysis = (await Services.StatusAsync(ct)).FirstOrDefault(s => s.Name == Services.Projection.Name);
        var head = await Services.Log.HeadAsync(ct);
        var position = analysis?.Position ?? 0;
        if (position < head)
            Log.Warning("The analysis read model is at position {Position} of {Head}: answers leave out the newest events until the API's daemon catches up",
                position, head);
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
        try
        {
            // Stopping lets the daemon and Wolverine finish their batch and release what they own (inbox rows).
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(15));
            await _host.StopAsync(timeout.Token);
        }
        finally
        {
            if (_host is IAsyncDisposable a) await a.DisposeAsync();
            else _host.Dispose();
            await _database.DisposeAsync();
        }
    }
}
