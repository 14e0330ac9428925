using System.Text.Json;
using Narrative.Analysis;
using Narrative.Api.Features;
using Narrative.Storage.Postgres;
using Serilog;
using Serilog.Context;

namespace Narrative.Api.Hosting;

/// <summary>
/// Builds the web application: database (embedded or configured), services, daemon, seeds, endpoints. The caller stops
/// the embedded database (the <see cref="DatabaseHost"/> service) after the application is disposed: Marten's daemon
/// and Wolverine close their connections, including Marten's LISTEN connection, only then.
/// </summary>
public static class NarrativeApi
{
    public static async Task<WebApplication> BuildAsync(string[] args, CancellationToken ct)
    {
        Log.Logger = NarrativeLogging.Create();
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = args, WebRootPath = FindWebRoot() });
        // Serilog.AspNetCore: ASP.NET Core's, Marten's and Wolverine's logs all go through Serilog.
        builder.Services.AddSerilog(Log.Logger, dispose: false);
        var options = NarrativeOptions.From(builder.Configuration);

        var host = await DatabaseHost.StartAsync(options.ConnectionString, options.DataDirectory, "narrative", ct);
        builder.Services.AddNarrative(host.ConnectionString, options.Runtime);

        builder.Services.AddSingleton(options);
        builder.Services.AddSingleton(host);
        builder.Services.AddSingleton<Readiness>();
        builder.Services.AddHostedService<StartupWork>();
        builder.Services.AddProblemDetails();
        builder.Services.AddProtection(options);
        // A body over Kestrel's limit (sent without a length) fails as it is read: answer with its status (413), not 500.
        builder.Services.Configure<ExceptionHandlerOptions>(o => o.StatusCodeSelector = ex => ex is BadHttpRequestException bad ? bad.StatusCode : 500);
        builder.Services.AddNarrativeOpenApi();
        builder.Services.ConfigureHttpJsonOptions(o =>
        {
            o.SerializerOptions.PropertyNamingPolicy = JsonNamingPolicy.CamelCase;
            o.SerializerOptions.DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.Never;
        });
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(15));

        var app = builder.Build();
        app.UseExceptionHandler();
        app.UseStatusCodePages();
        app.UseProtection(options);
        app.Use(async (ctx, next) =>
        {
            // Correlation id: taken from the caller or made here; echoed back and carried by events and logs.
            var id = ctx.Request.Headers["X-Correlation-Id"].ToString() is { Length: > 0 and <= 128 } given ? given : ctx.TraceIdentifier;
            ctx.Items["CorrelationId"] = id;
            ctx.Response.Headers["X-Correlation-Id"] = id;
            using (LogContext.PushProperty("CorrelationId", id))
                await next();
        });
        app.UseSerilogRequestLogging(o => o.GetLevel = (http, _, ex) =>
            ex is not null || http.Response.StatusCode >= 500 ? Serilog.Events.LogEventLevel.Error
            : http.Request.Path.StartsWithSegments("/api") ? Serilog.Events.LogEventLevel.Information : Serilog.Events.LogEventLevel.Debug);
        app.UseDefaultFiles();
        app.UseStaticFiles();
        app.MapOpenApi();
        app.MapApiReference();
        app.MapHealth();
        app.MapIngest();
        app.MapReferences();
        app.MapCaptures();
        app.MapAnalysis();
        app.MapMethod();
        app.MapDocuments();
        app.MapEvents();
        app.MapAdmin();
        app.MapAnalysts();
        app.MapAlerts();
        return app;
    }

    /// <summary>The web explorer's files: wwwroot beside the binaries, or the project's wwwroot when run from the build output.</summary>
    private static string? FindWebRoot()
    {
        if (Environment.GetEnvironmentVariable("NARRATIVE_WEBROOT") is { Length: > 0 } configured) return configured;
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "wwwroot");
            if (File.Exists(Path.Combine(candidate, "index.html"))) return candidate;
            if (File.Exists(Path.Combine(dir.FullName, "Narrative.Api.csproj"))) return candidate;
        }
        return null;
    }
}
