using Serilog;
using Serilog.Events;

namespace Narrative.Api.Hosting;

/// <summary>
/// One Serilog configuration for the API: structured console output with the correlation id from the log context, and
/// every secret registered with <see cref="Redact"/> (API keys, database passwords) masked in every property of every event.
/// </summary>
public static class NarrativeLogging
{
    private static readonly System.Collections.Concurrent.ConcurrentDictionary<string, bool> Secrets = new(StringComparer.Ordinal);

    /// <summary>Masks <paramref name="secret"/> wherever it would appear in a log event from now on.</summary>
    public static void Redact(string? secret)
    {
        // Very short values would mask ordinary words; keys and passwords worth the name are longer.
        if (secret is { Length: >= 6 }) Secrets[secret] = true;
    }

    public static Serilog.ILogger Create(Action<Serilog.Configuration.LoggerSinkConfiguration>? alsoWriteTo = null)
    {
        var config = Configuration();
        alsoWriteTo?.Invoke(config.WriteTo);
        return config.CreateLogger();
    }

    private static LoggerConfiguration Configuration() => new LoggerConfiguration()
        .MinimumLevel.Information()
        .MinimumLevel.Override("Microsoft", LogEventLevel.Warning)
        .MinimumLevel.Override("Microsoft.Hosting.Lifetime", LogEventLevel.Information)
        // Marten and Wolverine are chatty at Information (every daemon batch, every message); warnings and errors come through.
        .MinimumLevel.Override("Marten", LogEventLevel.Warning)
        .MinimumLevel.Override("Wolverine", LogEventLevel.Warning)
        .MinimumLevel.Override("JasperFx", LogEventLevel.Warning)
        .Enrich.FromLogContext()
        .Enrich.With(new SecretMask())
        .WriteTo.Console(outputTemplate: "[{Timestamp:HH:mm:ss} {Level:u3}] {SourceContext}: {Message:lj} {CorrelationId}{NewLine}{Exception}");

    internal static string Mask(string text)
    {
        foreach (var secret in Secrets.Keys)
            if (text.Contains(secret, StringComparison.Ordinal)) text = text.Replace(secret, "[redacted]", StringComparison.Ordinal);
        return text;
    }

    /// <summary>Rewrites every property value (nested ones too) that holds a secret.</summary>
    private sealed class SecretMask : Serilog.Core.ILogEventEnricher
    {
        public void Enrich(LogEvent e, Serilog.Core.ILogEventPropertyFactory factory)
        {
            if (Secrets.IsEmpty) return;
            foreach (var (name, value) in e.Properties.ToList())
                if (Masked(value) is { } masked) e.AddOrUpdateProperty(new LogEventProperty(name, masked));
        }

        private static LogEventPropertyValue? Masked(LogEventPropertyValue value) => value switch
        {
            ScalarValue { Value: string s } when Mask(s) is var m && m != s => new ScalarValue(m),
            ScalarValue { Value: { } o } when o is not string && o.ToString() is { } t && Mask(t) != t => new ScalarValue(Mask(t)),
            SequenceValue seq when seq.Elements.Select(Masked).ToList() is var items && items.Any(x => x is not null) =>
                new SequenceValue(seq.Elements.Select((x, i) => items[i] ?? x)),
            StructureValue st when st.Properties.Select(p => Masked(p.Value)).ToList() is var props && props.Any(x => x is not null) =>
                new StructureValue(st.Properties.Select((p, i) => new LogEventProperty(p.Name, props[i] ?? p.Value)), st.TypeTag),
            _ => null,
        };
    }
}
