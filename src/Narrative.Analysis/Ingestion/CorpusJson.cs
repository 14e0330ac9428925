using System.Text.Json;
using Narrative.Domain.Corpus;

namespace Narrative.Analysis.Ingestion;

/// <summary>
/// Reads corpus JSON the same way for the API, `narrative ingest` and `narrative validate`: the shape first
/// (<see cref="InputShapes"/>: unknown or misspelt fields, wrong JSON types), then the values. Field names are
/// case-sensitive, as the contract spells them; a name that differs only in case is refused with a suggestion.
/// </summary>
public static class CorpusJson
{
    public const string InvalidJson = "invalid_json";
    public const string NulCharacter = "nul_character";

    public static Shape ShapeOf<T>() => ShapeOf(typeof(T));

    private static Shape ShapeOf(Type type) => type switch
    {
        _ when type == typeof(DocumentInput) => InputShapes.Document,
        _ when type == typeof(CorrectionInput) => InputShapes.Correction,
        _ when type == typeof(TopicInput) => InputShapes.Topic,
        _ when type == typeof(SourceInput) => InputShapes.Source,
        _ when type == typeof(ContextPeriodInput) => InputShapes.ContextPeriod,
        _ when type == typeof(HypothesisRevisionInput) => InputShapes.HypothesisRevision,
        _ when type == typeof(SignpostInput) => InputShapes.Signpost,
        _ => throw new ArgumentException($"No corpus shape for {type.Name}", nameof(type)),
    };

    /// <summary>One object (a request body, a document or topic file).</summary>
    public static (T? Value, IReadOnlyList<FieldError> Errors) Parse<T>(ReadOnlyMemory<byte> utf8) where T : class
    {
        var (doc, error) = Document(utf8);
        if (doc is null) return (null, [error!]);
        using (doc)
        {
            var errors = InputShapes.Check(doc.RootElement, ShapeOf<T>());
            if (errors.Count == 0) errors = NulCharacters(doc.RootElement, "");
            return errors.Count > 0 ? (null, errors) : (doc.RootElement.Deserialize<T>(NarrativeEvents.Json), []);
        }
    }

    /// <summary>A list file (sources.json, context.json): errors are named <c>[3].reliability</c>.</summary>
    public static (IReadOnlyList<T>? Values, IReadOnlyList<FieldError> Errors) ParseList<T>(ReadOnlyMemory<byte> utf8) where T : class
    {
        var (doc, error) = Document(utf8);
        if (doc is null) return (null, [error!]);
        using (doc)
        {
            if (doc.RootElement.ValueKind != JsonValueKind.Array)
                return (null, [new FieldError("$", ErrorCodes.WrongType, "The file must hold a list (a JSON array) of objects.")]);
            var errors = doc.RootElement.EnumerateArray().SelectMany((e, i) => InputShapes.Check(e, ShapeOf<T>(), $"[{i}]")).ToList();
            if (errors.Count == 0) errors = [.. NulCharacters(doc.RootElement, "")];
            return errors.Count > 0 ? (null, errors) : (doc.RootElement.Deserialize<List<T>>(NarrativeEvents.Json), []);
        }
    }

    /// <summary>
    /// For bodies read without a corpus shape (the analysts' routes): bytes that are not UTF-8, or the first string
    /// holding NUL, as the field error the corpus routes give; null when the text can be stored (a syntax error is left
    /// to the deserialiser, which names it).
    /// </summary>
    public static FieldError? Unstorable(ReadOnlyMemory<byte> utf8)
    {
        if (NotUtf8(utf8) is { } notUtf8) return notUtf8;
        try
        {
            using var doc = JsonDocument.Parse(utf8);
            return NulCharacters(doc.RootElement, "").FirstOrDefault();
        }
        catch (JsonException)
        {
            return null;
        }
    }

    /// <summary>
    /// Strings holding the NUL character (the escape <c>\u0000</c>), by path: valid JSON, but PostgreSQL stores no NUL
    /// in text or jsonb, so such a write would fail in the database instead of being refused here.
    /// </summary>
    private static List<FieldError> NulCharacters(JsonElement value, string path)
    {
        var errors = new List<FieldError>();
        switch (value.ValueKind)
        {
            case JsonValueKind.String when value.GetString()!.Contains('\0', StringComparison.Ordinal):
                errors.Add(new FieldError(path.Length == 0 ? "$" : path, NulCharacter, $"{(path.Length == 0 ? "The value" : path)} contains the NUL character (\\u0000), which cannot be stored."));
                break;
            case JsonValueKind.Object:
                foreach (var property in value.EnumerateObject())
                    errors.AddRange(NulCharacters(property.Value, path.Length == 0 ? property.Name : $"{path}.{property.Name}"));
                break;
            case JsonValueKind.Array:
                var i = 0;
                foreach (var element in value.EnumerateArray()) errors.AddRange(NulCharacters(element, $"{path}[{i++}]"));
                break;
        }
        return errors;
    }

    private static FieldError? NotUtf8(ReadOnlyMemory<byte> utf8) =>
        System.Text.Unicode.Utf8.IsValid(utf8.Span) ? null : new FieldError("$", InvalidJson, "Not valid JSON: the body is not UTF-8 text.");

    private static (JsonDocument? Document, FieldError? Error) Document(ReadOnlyMemory<byte> utf8)
    {
        // The parser checks string contents only when a string is read, so bytes that are not UTF-8 would otherwise
        // pass the shape check and fail in deserialisation.
        if (NotUtf8(utf8) is { } notUtf8) return (null, notUtf8);
        try
        {
            return (JsonDocument.Parse(utf8), null);
        }
        catch (JsonException ex)
        {
            // The parser's own message names a line and byte position, which is what a writer of JSON needs here.
            return (null, new FieldError("$", InvalidJson, $"Not valid JSON: {ex.Message}"));
        }
    }
}
