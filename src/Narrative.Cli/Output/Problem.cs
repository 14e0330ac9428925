using Narrative.Domain.Corpus;

namespace Narrative.Cli.Output;

/// <summary>
/// A failed answer, in the shape and words of the API's problem details (title, status, detail, field errors), so the
/// CLI and the API say the same thing about the same input. <see cref="ExitCode"/> follows from the status.
/// </summary>
/// <param name="Instance">Which occurrence, when a command reports several (a file of a corpus, a page of a folder).</param>
public sealed record Problem(int Status, string Title, string? Detail = null, IReadOnlyList<FieldError>? FieldErrors = null, string? Instance = null)
{
    public int ExitCode => ExitCodes.FromStatus(Status);

    public static Problem NotFound(string detail) => new(404, "Not found", detail);

    /// <summary>A bad argument or option of a command that only reads (the API's "The query is not valid").</summary>
    public static Problem InvalidQuery(string field, string code, string message) =>
        new(400, "The query is not valid", message, [new FieldError(field, code, message)]);

    /// <summary>Bad input to a command that writes: nothing was written (the API's 400 for a bad write).</summary>
    public static Problem Invalid(IReadOnlyList<FieldError> errors, string? detail = null) =>
        new(400, "The input is not valid; nothing was written", detail ?? errors.FirstOrDefault()?.Message, errors);

    public static Problem Conflict(string? detail) => new(409, "Conflict", detail);

    public static Problem Unreachable(string detail) => new(503, "Server unreachable", detail);

    /// <summary>A topic id the store does not hold, as the API words it.</summary>
    public static Problem UnknownTopic(string topic) => NotFound($"Topic '{topic}' is not known (at that system time).");

    /// <summary>An ISO 8601 option that does not parse, as the API words it (with the option's name for the field).</summary>
    public static Problem InvalidTime(string option) =>
        InvalidQuery(option, "invalid_date", $"'{option}' must be an ISO 8601 date (2024-01-31) or date-time (2024-01-31T12:00:00Z).");
}

/// <summary>Thrown from anywhere inside a command; <see cref="CliApp.RunAsync"/> reports it and exits with its code.</summary>
public sealed class ProblemException(Problem problem) : Exception(problem.Detail ?? problem.Title)
{
    public Problem Problem { get; } = problem;
}
