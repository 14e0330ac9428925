using System.Collections.Frozen;
using System.Text.Json;

namespace Narrative.EventStore;

/// <summary>
/// Maps CLR types to stable names such as <c>narrative.item_recorded.v1</c>. Storage only ever sees the names,
/// so renaming or moving a class never breaks a stored stream.
/// </summary>
public sealed class EventTypeRegistry
{
    private readonly FrozenDictionary<Type, string> _names;
    private readonly FrozenDictionary<string, Type> _types;

    public EventTypeRegistry(IEnumerable<(Type Type, string Name)> types, JsonSerializerOptions? json = null)
    {
        var list = types.ToList();
        var dupes = list.GroupBy(t => t.Name).Where(g => g.Count() > 1).Select(g => g.Key).ToList();
        if (dupes.Count > 0) throw new ArgumentException($"Duplicate event type names: {string.Join(", ", dupes)}");
        _names = list.ToFrozenDictionary(t => t.Type, t => t.Name);
        _types = list.ToFrozenDictionary(t => t.Name, t => t.Type, StringComparer.Ordinal);
        Json = json ?? new JsonSerializerOptions(JsonSerializerDefaults.Web);
    }

    public JsonSerializerOptions Json { get; }

    public IEnumerable<string> Names => _types.Keys;

    public string NameOf(Type type) =>
        _names.TryGetValue(type, out var name) ? name : throw new ArgumentException($"Event type {type.Name} is not registered");

    public Type? TypeOf(string name) => _types.GetValueOrDefault(name);

    public string Serialize(object data) => JsonSerializer.Serialize(data, data.GetType(), Json);

    /// <summary>Deserialises a stored event, or null for a type this process does not know (newer writers).</summary>
    public object? Deserialize(StoredEvent e) =>
        TypeOf(e.Type) is { } t ? JsonSerializer.Deserialize(e.DataJson, t, Json) : null;

    /// <summary>Deserialises an event's UTF-8 JSON by type name, or null for a type this process does not know.</summary>
    public object? Deserialize(string type, ReadOnlySpan<byte> utf8Json) =>
        TypeOf(type) is { } t ? JsonSerializer.Deserialize(utf8Json, t, Json) : null;

    public EventMetadata ReadMetadata(StoredEvent e) =>
        JsonSerializer.Deserialize<EventMetadata>(e.MetadataJson, Json) ?? new EventMetadata();
}
