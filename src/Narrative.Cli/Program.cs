using Narrative.Cli;
using Serilog;

Log.Logger = new LoggerConfiguration()
    .MinimumLevel.Is(Environment.GetEnvironmentVariable("NARRATIVE_LOG") == "debug" ? Serilog.Events.LogEventLevel.Debug : Serilog.Events.LogEventLevel.Warning)
    .WriteTo.Console(standardErrorFromLevel: Serilog.Events.LogEventLevel.Verbose)
    .CreateLogger();
try
{
    return await CliApp.Build().Parse(args).InvokeAsync();
}
finally
{
    await Log.CloseAndFlushAsync();
}
