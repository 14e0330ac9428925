using System.Collections.Frozen;
using System.Text.Json;
using System.Text.Json.Serialization;
using Narrative.Domain;

namespace Narrative.Analysis;

/// <summary>
/// The JSON conventions shared by Marten's serializer, the API, the CLI and the benchmarks, and the stable names of
/// <see cref="NarrativeEventTypes.All"/> for code that reads <c>mt_events</c> raw (the bulk rebuild).
/// </summary>
public static class NarrativeEvents
{
    public static JsonSerializerOptions Json { get; } = CreateJson();

    private static readonly FrozenDictionary<Type, string> Names = NarrativeEventTypes.All.ToFrozenDictionary(t => t.Type, t => t.Name);
    private static readonly FrozenDictionary<string, Type> Types = NarrativeEventTypes.All.ToFrozenDictionary(t => t.Name, t => t.Type, StringComparer.Ordinal);

    public static string NameOf(Type type) =>
        Names.TryGetValue(type, out var name) ? name : throw new ArgumentException($"Event type {type.Name} is not registered");

    /// <summary>Deserialises an event's UTF-8 JSON by its stored type name, or null for a type this process does not know.</summary>
    public static object? Deserialize(string type, ReadOnlySpan<byte> utf8Json) =>
        Types.TryGetValue(type, out var t) ? JsonSerializer.Deserialize(utf8Json, t, Json) : null;

    private static JsonSerializerOptions CreateJson()
    {
        var o = new JsonSerializerOptions(JsonSerializerDefaults.Web)
        {
            DefaultIgnoreCondition = JsonIgnoreCondition.Never,
        };
        o.MakeReadOnly(populateMissingResolver: true);
        return o;
    }
}
