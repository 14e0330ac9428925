using System.Text.Json;
using System.Text.Json.Serialization;
using Narrative.Domain;
using Narrative.EventStore;

namespace Narrative.Analysis;

/// <summary>The event registry and JSON conventions shared by the API, the CLI, the daemon and the benchmarks.</summary>
public static class NarrativeEvents
{
    public static JsonSerializerOptions Json { get; } = CreateJson();

    public static EventTypeRegistry CreateRegistry() => new(NarrativeEventTypes.All, Json);

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
