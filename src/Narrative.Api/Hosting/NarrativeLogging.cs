using Serilog;
using Serilog.Events;

namespace Narrative.Api.Hosting;

/// <summary>One Serilog configuration for the API: structured console output with the correlation id from the log context.</summary>
public static class NarrativeLogging
{
    public static Serilog.ILogger Create() => new LoggerConfiguration()
        .MinimumLevel.Information()
        .MinimumLevel.Override("Microsoft", LogEventLevel.Warning)
        .MinimumLevel.Override("Microsoft.Hosting.Lifetime", LogEventLevel.Information)
        // Marten and Wolverine are chatty at Information (every daemon batch, every message); warnings and errors come through.
        .MinimumLevel.Override("Marten", LogEventLevel.Warning)
        .MinimumLevel.Override("Wolverine", LogEventLevel.Warning)
        .MinimumLevel.Override("JasperFx", LogEventLevel.Warning)
        .Enrich.FromLogContext()
        .WriteTo.Console(outputTemplate: "[{Timestamp:HH:mm:ss} {Level:u3}] {SourceContext}: {Message:lj} {CorrelationId}{NewLine}{Exception}")
        .CreateLogger();
}
