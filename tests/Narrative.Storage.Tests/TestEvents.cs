using System.Text.Json;

namespace Narrative.Storage.Tests;

public sealed record Noted(string Text);

internal static class TestEvents
{
    /// <summary>Registered through the same type list the application passes to <see cref="EventStoreSetup.Configure"/>.</summary>
    public static readonly IReadOnlyList<(Type Type, string Name)> Types = [(typeof(Noted), "test.noted.v1")];

    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public static EventData Note(string text, Guid? id = null, EventMetadata? metadata = null) =>
        new(id ?? Guid.NewGuid(), new Noted(text), metadata);
}
