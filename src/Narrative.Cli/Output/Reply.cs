using System.CommandLine;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;
using Narrative.Analysis;
using Spectre.Console;

namespace Narrative.Cli.Output;

/// <summary>
/// How a command answers. Standard output gets the answer only: JSON with <c>--json</c> (and nothing else), else text
/// and tables. Standard error gets problems, in the API's words, and each command returns the exit code this gives.
/// <code>
/// if (result is null) return Reply.NotFound(parse, $"Topic '{topic}' is not known (at that system time).");
/// return Reply.Print(parse, result, r => AnsiConsole.Write(Table(r)));
/// </code>
/// </summary>
public static class Reply
{
    /// <summary>The API's JSON, indented, and with quotes and non-ASCII letters as they are (the answer is not HTML).</summary>
    public static JsonSerializerOptions Json { get; } = new(NarrativeEvents.Json) { WriteIndented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    private static readonly JsonSerializerOptions OneLine = new(Json) { WriteIndented = false, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull };

    public static bool WantsJson(ParseResult parse) => parse.GetValue(CliApp.Json);

    /// <summary>Prints the answer (as JSON with --json, else through <paramref name="text"/>) and returns 0.</summary>
    public static int Print<T>(ParseResult parse, T value, Action<T> text)
    {
        if (WantsJson(parse)) WriteJson(value);
        else text(value);
        return ExitCodes.Success;
    }

    /// <summary>Raw JSON through the console's writer (not markup), so it can be piped, and captured in tests.</summary>
    public static void WriteJson<T>(T value) => AnsiConsole.Profile.Out.Writer.WriteLine(JsonSerializer.Serialize(value, Json));

    /// <summary>
    /// The exit code of a command that reports several problems (one per file or page): invalid input first, then
    /// conflicts, then "not found", so that a script sees the problem it must fix first.
    /// </summary>
    public static int ExitCodeOf(IEnumerable<Problem> problems)
    {
        var codes = problems.Select(p => p.ExitCode).ToHashSet();
        int[] order = [ExitCodes.InvalidInput, ExitCodes.Conflict, ExitCodes.NotFound, ExitCodes.Failed];
        return order.FirstOrDefault(codes.Contains, ExitCodes.Success);
    }

    /// <summary>Reports <paramref name="problem"/> on standard error and returns its exit code.</summary>
    public static int Fail(ParseResult parse, Problem problem)
    {
        Report(problem, WantsJson(parse));
        return problem.ExitCode;
    }

    public static int NotFound(ParseResult parse, string detail) => Fail(parse, Problem.NotFound(detail));

    /// <summary>A bad argument or option (exit 2), <paramref name="option"/> naming it as the API names its field.</summary>
    public static int InvalidOption(ParseResult parse, string option, string code, string message) =>
        Fail(parse, Problem.InvalidQuery(option, code, message));

    /// <summary>
    /// One problem on standard error: with --json one line of JSON (title, status, detail, exitCode, fieldErrors);
    /// else "title: detail", then a line per field error.
    /// </summary>
    public static void Report(Problem problem, bool json)
    {
        var error = CliConsole.Error;
        if (json)
        {
            error.Profile.Out.Writer.WriteLine(JsonSerializer.Serialize(new
            {
                title = problem.Title, status = problem.Status, detail = problem.Detail, instance = problem.Instance,
                exitCode = problem.ExitCode, fieldErrors = problem.FieldErrors ?? [],
            }, OneLine));
            return;
        }
        var head = problem.Detail is { } d && d != problem.Title ? $"{problem.Title}: {d}" : problem.Title;
        Line(problem.Instance is null ? head : $"{problem.Instance}: {head}", error.Profile.Capabilities.Ansi ? "red" : null);
        var where = problem.Instance is null ? "" : $"{problem.Instance}: ";
        // Field by field (field, code, message), unless that would only repeat the detail of a one-option problem.
        if (problem.FieldErrors is [var only] && problem.Instance is null && only.Message == problem.Detail) return;
        foreach (var e in problem.FieldErrors ?? []) Line($"  {where}{e.Field} {e.Code}: {e.Message}");
    }

    /// <summary>A plain line on standard error (a warning, a problem of one file among many).</summary>
    public static void Line(string text, string? colour = null)
    {
        if (colour is not null) CliConsole.Error.MarkupLine($"[{colour}]{Markup.Escape(text)}[/]");
        else CliConsole.Error.Profile.Out.Writer.WriteLine(text);
    }
}
