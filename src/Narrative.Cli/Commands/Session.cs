using JasperFx.Events.Daemon;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Narrative.Analysis;
using Narrative.Cli.Output;
using Narrative.Storage.Postgres;
using Npgsql;
using Serilog;

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
        if (!string.IsNullOrWhiteSpace(configured)) CheckConnectionString(configured, db is null ? "NARRATIVE_DB" : "--db");
        var data = Environment.GetEnvironmentVariable("NARRATIVE_DATA") is { Length: > 0 } d ? d : ".narrative";
        var database = await DatabaseHost.StartAsync(configured, data, "narrative", ct);
        try
        {
            // Marten prints "the async daemon is disabled" with Console.WriteLine when it builds the store without one:
            // true, and intended here, but on stdout it would corrupt --json output and on stderr it would precede every
            // answer, so it is dropped (kept, on stderr, with NARRATIVE_LOG=debug). Marten's and Wolverine's logs go
            // through the CLI's Serilog logger (warnings and up, to stderr).
            // HotCold, like the API: when an API node already owns the daemon, this process leaves the projecting to it.
            var stdout = Console.Out;
            Console.SetOut(Log.IsEnabled(Serilog.Events.LogEventLevel.Debug) ? Console.Error : TextWriter.Null);
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

    /// <summary>Prefer <see cref="Reply.Print{T}"/>, which takes the parse result.</summary>
    public static void Print<T>(T value, bool json, Action<T> table)
    {
        if (json) Reply.WriteJson(value);
        else table(value);
    }

    /// <summary>"Not found" on stderr, exit code 1. Prefer <see cref="Reply.Fail"/> with a <see cref="Problem"/>, which knows --json.</summary>
    public static int Fail(string message)
    {
        Reply.Report(Problem.NotFound(message), json: false);
        return ExitCodes.NotFound;
    }

    private static void CheckConnectionString(string text, string from)
    {
        try
        {
            _ = new NpgsqlConnectionStringBuilder(text);
        }
        catch (ArgumentException ex)
        {
            throw new ProblemException(Problem.InvalidQuery(from, "invalid_connection_string",
                $"'{from}' must be a PostgreSQL connection string such as Host=127.0.0.1;Port=5432;Username=postgres;Database=narrative ({ex.Message})."));
        }
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
