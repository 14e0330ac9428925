using System.CommandLine;
using System.CommandLine.Help;
using System.CommandLine.Invocation;
using System.CommandLine.Parsing;
using System.Net.Http;
using System.Net.Sockets;
using Narrative.Cli.Commands;
using Narrative.Cli.Output;
using Npgsql;
using Serilog;

namespace Narrative.Cli;

/// <summary>
/// `narrative`: the same services as the API, from a terminal. Tables by default, --json for scripts; problems on
/// standard error in the API's words, and an exit code per kind of problem (<see cref="ExitCodes"/>).
/// </summary>
public static class CliApp
{
    public static readonly Option<string?> Db = new("--db") { Description = "PostgreSQL connection string (default: NARRATIVE_DB, else the embedded server in NARRATIVE_DATA)" };
    public static readonly Option<bool> Json = new("--json") { Description = "Print the answer as JSON, and nothing else, on standard output" };

    public const string Description = """
        Narrative: an event-sourced backend for narrative analysis.

        Answers go to standard output: tables in a terminal, plain text without colour or wrapping when redirected,
        JSON only with --json. Problems go to standard error. The long jobs (ingest, projections rebuild, verify,
        capture of a folder) show a progress bar on standard error in a terminal, and one line per step when it is
        redirected.
        """;

    public static RootCommand Build()
    {
        var root = new RootCommand(Description);
        root.Options.Add(Db);
        root.Options.Add(Json);
        foreach (var o in root.Options)
        {
            o.Recursive = true;
            if (o is HelpOption help && help.Action is HelpAction action) help.Action = new HelpWithExitCodes(action);
        }
        CorpusCommands.Add(root);
        CaptureCommands.Add(root);
        QueryCommands.Add(root);
        QueryCommands.AddTiming(root);
        MethodCommands.Add(root);
        AdminCommands.Add(root);
        AnalystCommands.Add(root);
        return root;
    }

    /// <summary>
    /// Parses and runs one command line. The one place where failures become exit codes: parse errors are invalid
    /// input, a <see cref="ProblemException"/> carries its own, a server that does not answer is "unreachable".
    /// </summary>
    public static async Task<int> RunAsync(string[] args, CancellationToken ct = default)
    {
        var parse = Build().Parse(args);
        var json = parse.GetValue(Json);
        if (parse.Action is ParseErrorAction)
        {
            // An option's value in the API's words for the same query parameter; anything else is the command line's.
            foreach (var e in parse.Errors)
                Reply.Report(Problem.InvalidQuery(Field(e), "invalid_argument", e.Message) with
                    { Title = e.SymbolResult is OptionResult ? "The query is not valid" : "The command line is not valid" }, json);
            if (!json) Reply.Line($"See '{string.Join(' ', CommandPath(parse.CommandResult))} --help'.");
            return ExitCodes.InvalidInput;
        }
        try
        {
            return await parse.InvokeAsync(new InvocationConfiguration { EnableDefaultExceptionHandler = false }, ct);
        }
        catch (OperationCanceledException)
        {
            return 130; // Ctrl-C: the shell's code for SIGINT
        }
        catch (Exception ex)
        {
            var problem = ProblemOf(ex);
            if (problem.ExitCode == ExitCodes.Failed) Log.Debug(ex, "The command failed");
            Reply.Report(problem, json);
            return problem.ExitCode;
        }
    }

    /// <summary>What an exception means to the user.</summary>
    public static Problem ProblemOf(Exception ex)
    {
        for (Exception? e = ex; e is not null; e = e is AggregateException { InnerExceptions.Count: 1 } a ? a.InnerExceptions[0] : e.InnerException)
        {
            switch (e)
            {
                case ProblemException p:
                    return p.Problem;
                case HttpRequestException { StatusCode: null } h:
                    return Problem.Unreachable($"The API did not answer: {h.Message}");
                // The server answered but will not let us in, or the database is not there: as good as unreachable.
                case PostgresException pg when pg.SqlState.StartsWith("08", StringComparison.Ordinal) || pg.SqlState.StartsWith("28", StringComparison.Ordinal)
                                               || pg.SqlState is PostgresErrorCodes.InvalidCatalogName or PostgresErrorCodes.CannotConnectNow:
                    return Problem.Unreachable($"PostgreSQL refused the connection: {pg.MessageText}");
                case NpgsqlException n when n is not PostgresException && n.InnerException is SocketException or TimeoutException or IOException:
                    return Problem.Unreachable($"PostgreSQL did not answer: {n.Message} ({n.InnerException!.Message})");
            }
        }
        return new Problem(500, "Unexpected error", $"{ex.GetType().Name}: {ex.Message} (NARRATIVE_LOG=debug shows where)");
    }

    private static string Field(ParseError e) => e.SymbolResult switch
    {
        OptionResult o => o.Option.Name,
        ArgumentResult a => a.Argument.Name,
        CommandResult c => c.Command.Name,
        _ => "$",
    };

    private static IEnumerable<string> CommandPath(CommandResult? c)
    {
        var names = new Stack<string>();
        for (SymbolResult? r = c; r is not null; r = r.Parent)
            if (r is CommandResult cr) names.Push(cr.Command is RootCommand ? "narrative" : cr.Command.Name);
        return names;
    }

    /// <summary>The usual help, then the exit codes, which every command shares.</summary>
    private sealed class HelpWithExitCodes(HelpAction help) : SynchronousCommandLineAction
    {
        public override int Invoke(ParseResult parseResult)
        {
            var exit = help.Invoke(parseResult);
            parseResult.InvocationConfiguration.Output.WriteLine();
            parseResult.InvocationConfiguration.Output.WriteLine(ExitCodes.Help);
            return exit;
        }
    }
}
