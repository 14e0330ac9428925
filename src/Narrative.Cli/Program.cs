using Narrative.Cli;
using Serilog;
using Serilog.Events;

var debug = Environment.GetEnvironmentVariable("NARRATIVE_LOG") == "debug";
Log.Logger = new LoggerConfiguration()
    .MinimumLevel.Is(debug ? LogEventLevel.Debug : LogEventLevel.Warning)
    // The host logs a failed start with its stack trace; the CLI reports the cause itself, in one line.
    .MinimumLevel.Override("Microsoft.Extensions.Hosting", debug ? LogEventLevel.Debug : LogEventLevel.Fatal)
    .WriteTo.Console(standardErrorFromLevel: LogEventLevel.Verbose)
    .CreateLogger();
// Spectre's consoles take their writers from Console.Out and Console.Error when first used: create them now, before a
// session redirects Console.Out for a moment (see Session.OpenAsync), so answers always go to stdout and problems and
// progress to stderr. A redirected stream gets no colour codes and no wrapping at a guessed terminal width.
Spectre.Console.AnsiConsole.Console = CliConsole.Create(Console.IsOutputRedirected);
CliConsole.Error = CliConsole.Create(Console.Error, Console.IsErrorRedirected);
try
{
    return await CliApp.RunAsync(args);
}
finally
{
    await Log.CloseAndFlushAsync();
}
