using System.Diagnostics;
using Narrative.Testing;

namespace Narrative.Api.Tests;

/// <summary>
/// The built `narrative` tool run as a process, from its dll (built with the tests, never per test): with standard
/// output and error redirected, as a script runs it, or on a pseudo-terminal (util-linux's `script`), as a person does.
/// </summary>
public static class CliTool
{
    public sealed record Result(int Exit, string Output, string Error)
    {
        public override string ToString() => $"exit {Exit}\n--- stdout\n{Output}\n--- stderr\n{Error}";
    }

    /// <summary>At most this many tools at once: each starts a runtime and a Marten host, and the machine has few cores.</summary>
    private static readonly SemaphoreSlim Slots = new(4);

    /// <summary>The CLI as built by its own project (with its runtimeconfig and deps), in this test run's configuration.</summary>
    public static string Dll()
    {
        var configuration = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd('/')).Parent!.Name; // bin/<configuration>/net10.0
        var root = Directory.GetParent(ApiServer.SeedsFolder())!.FullName;
        return Path.Combine(root, "src", "Narrative.Cli", "bin", configuration, "net10.0", "narrative.dll");
    }

    /// <summary>Runs the tool with stdout and stderr redirected (no terminal), as from a colour terminal's shell.</summary>
    public static Task<Result> RunAsync(params string[] args) => StartAsync("dotnet", [Dll(), .. args]);

    /// <summary>
    /// Runs the tool on a pseudo-terminal: `script` gives it one for stdin, stdout and stderr, and copies what it
    /// draws (both streams, interleaved) to its own stdout.
    /// </summary>
    public static async Task<Result> RunInTerminalAsync(params string[] args)
    {
        var command = string.Join(' ', new[] { "dotnet", Dll() }.Concat(args).Select(Quote));
        var r = await StartAsync("script", ["-qec", command, "/dev/null"]);
        return r with { Output = r.Output.Replace("\r\n", "\n", StringComparison.Ordinal) };
    }

    private static string Quote(string arg) => "'" + arg.Replace("'", "'\\''", StringComparison.Ordinal) + "'";

    private static async Task<Result> StartAsync(string file, IEnumerable<string> args)
    {
        var start = new ProcessStartInfo(file)
        {
            RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true, UseShellExecute = false,
        };
        foreach (var a in args) start.ArgumentList.Add(a);
        // A user's colour terminal: the tool must still print no colour codes when its output is redirected.
        start.Environment["TERM"] = "xterm-256color";
        start.Environment["COLORTERM"] = "truecolor";
        start.Environment.Remove("NARRATIVE_DB");
        start.Environment.Remove("NARRATIVE_LOG");
        await Slots.WaitAsync();
        try
        {
            using var process = Process.Start(start)!;
            process.StandardInput.Close();
            var output = process.StandardOutput.ReadToEndAsync();
            var error = process.StandardError.ReadToEndAsync();
            // Not a timing assertion: only a guard so that a hung tool fails the test instead of the whole run.
            using var guard = new CancellationTokenSource(TimeSpan.FromMinutes(3));
            try
            {
                await process.WaitForExitAsync(guard.Token);
            }
            catch (OperationCanceledException)
            {
                process.Kill(entireProcessTree: true);
                throw new TimeoutException($"{file} {string.Join(' ', args)} did not finish: {await output}{await error}");
            }
            return new Result(process.ExitCode, await output, await error);
        }
        finally
        {
            Slots.Release();
        }
    }
}
