using Narrative.Cli;
using Serilog;

Log.Logger = new LoggerConfiguration()
    .MinimumLevel.Is(Environment.GetEnvironmentVariable("NARRATIVE_LOG") == "debug" ? Serilog.Events.LogEventLevel.Debug : Serilog.Events.LogEventLevel.Warning)
    .WriteTo.Console(standardErrorFromLevel: Serilog.Events.LogEventLevel.Verbose)
    .CreateLogger();
// Spectre's console takes its writer from Console.Out when first used: create it now, before a session redirects
// Console.Out for a moment (see Session.OpenAsync), so tables and JSON always go to stdout. Piped or redirected
// output gets no colour codes and no wrapping at a guessed terminal width.
Spectre.Console.AnsiConsole.Console = CliConsole.Create(Console.IsOutputRedirected);
try
{
    return await CliApp.Build().Parse(args).InvokeAsync();
}
finally
{
    await Log.CloseAndFlushAsync();
}
