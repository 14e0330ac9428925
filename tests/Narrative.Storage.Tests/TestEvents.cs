namespace Narrative.Storage.Tests;

public sealed record Noted(string Text, int N);
public sealed record Renamed(string Name);

internal static class TestEvents
{
    public static readonly EventTypeRegistry Registry = new([(typeof(Noted), "test.noted.v1"), (typeof(Renamed), "test.renamed.v1")]);

    public static EventData Note(string text, int n = 0, Guid? id = null) =>
        new(id ?? Guid.NewGuid(), new Noted(text, n), new DateTimeOffset(2024, 1, 2, 3, 4, 5, TimeSpan.Zero).AddTicks(n * 17),
            new EventMetadata { CorrelationId = "corr-1", Actor = "tests" });
}
