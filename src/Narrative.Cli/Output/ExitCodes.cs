namespace Narrative.Cli.Output;

/// <summary>
/// What <c>narrative</c> returns to the shell. The API's HTTP statuses map onto them here and nowhere else, so a
/// command answers "not found" with the same exit code whether it read the store itself or asked the API.
/// </summary>
public static class ExitCodes
{
    public const int Success = 0;
    public const int NotFound = 1;
    public const int InvalidInput = 2;
    public const int Conflict = 3;
    public const int Unreachable = 4;
    /// <summary><c>verify</c> or <c>audit</c> ran and found that a hash chain or a replay does not hold.</summary>
    public const int VerificationFailed = 5;
    /// <summary>Anything else: a bug or an environment problem the message names.</summary>
    public const int Failed = 6;

    /// <summary>The status of an API answer (or of a <see cref="Problem"/>) as an exit code.</summary>
    public static int FromStatus(int status) => status switch
    {
        >= 200 and < 300 => Success,
        404 => NotFound,
        400 or 413 or 415 or 422 => InvalidInput,
        409 => Conflict,
        502 or 503 or 504 => Unreachable,
        _ => Failed,
    };

    /// <summary>The table `--help` and the README show.</summary>
    public const string Help = """
        Exit codes:
          0  success
          1  not found (an unknown topic, claim, capture, projection or dead letter)
          2  invalid input (arguments, options or files; nothing was written)
          3  conflict (already held with different content)
          4  server unreachable (PostgreSQL from --db or NARRATIVE_DB, or the API named by --api)
          5  verification failed (verify, audit: a hash chain or a replay does not hold)
          6  any other error
        Errors and "not found" go to standard error, in the words of the API's problem details
        (as one JSON object per problem with --json). Standard output carries only the answer.
        """;
}
