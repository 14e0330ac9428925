using System.Text.Json;

namespace Narrative.Domain.Corpus;

/// <summary>What a JSON value must be, in the words an error message uses ("an integer from 1 to 6").</summary>
public abstract record FieldKind(string Expected);

public sealed record TextField() : FieldKind("a string");

public sealed record IntegerField(int Min, int Max) : FieldKind($"an integer from {Min} to {Max}");

public sealed record FlagField() : FieldKind("true or false");

public sealed record TextListField() : FieldKind("a list of strings");

/// <summary>An object whose keys are free (hypothesis ids) and whose values are strings.</summary>
public sealed record TextMapField(string ValueExpected) : FieldKind("an object of strings");

public sealed record ObjectField(Shape Shape) : FieldKind($"an object ({Shape.Name})");

public sealed record ObjectListField(Shape Shape) : FieldKind($"a list of objects ({Shape.Name})");

/// <summary>The fields an input object may have. Names are matched exactly (camelCase, case-sensitive).</summary>
public sealed record Shape(string Name, IReadOnlyDictionary<string, FieldKind> Fields);

/// <summary>
/// The JSON shape of every write of the corpus format, checked before the values are read, so that an unknown or
/// misspelt field, or a value of the wrong JSON type, is refused by name instead of silently dropped or coerced.
/// The API and the CLI (ingest and validate) both read their input through <see cref="Check"/>.
/// </summary>
public static class InputShapes
{
    private static readonly Shape Period = new("a period", Fields(("start", new TextField()), ("end", new TextField())));

    private static readonly Shape Hypothesis = new("a hypothesis",
        Fields(("id", new TextField()), ("label", new TextField()), ("description", new TextField())));

    private static readonly Shape Item = new("an item", Fields(
        ("id", new TextField()), ("topic", new TextField()), ("type", new TextField()), ("claim", new TextField()),
        ("summary", new TextField()), ("quote", new TextField()), ("attributedTo", new TextField()), ("occurredAt", new TextField()),
        ("credibility", new IntegerField(1, 6)), ("ratings", new TextMapField("a rating: CC, C, N, I, II or NA")),
        ("rebuts", new TextListField()), ("note", new TextField()), ("speaker", new TextField())));

    private static readonly Shape CorrectionItem = new("a correction item", Fields(
        ("id", new TextField()), ("ratings", new TextMapField("a rating: CC, C, N, I, II or NA")),
        ("credibility", new IntegerField(1, 6)), ("retracted", new FlagField())));

    public static Shape Document { get; } = new("a document", Fields(
        ("id", new TextField()), ("source", new TextField()), ("publishedAt", new TextField()), ("title", new TextField()),
        ("url", new TextField()), ("authors", new TextListField()), ("cites", new TextListField()), ("items", new ObjectListField(Item)),
        ("captureId", new TextField())));

    public static Shape Correction { get; } = new("a correction", Fields(("reason", new TextField()), ("items", new ObjectListField(CorrectionItem))));

    public static Shape Topic { get; } = new("a topic", Fields(
        ("id", new TextField()), ("title", new TextField()), ("period", new ObjectField(Period)), ("hypotheses", new ObjectListField(Hypothesis))));

    public static Shape Source { get; } = new("a source", Fields(
        ("id", new TextField()), ("name", new TextField()), ("kind", new TextField()), ("reliability", new TextField()), ("rationale", new TextField()),
        ("reason", new TextField())));

    private static readonly Shape Split = new("a split", Fields(("from", new TextField()), ("into", new TextListField())));

    public static Shape HypothesisRevision { get; } = new("a hypothesis revision", Fields(
        ("reason", new TextField()), ("add", new ObjectListField(Hypothesis)), ("retire", new TextListField()), ("split", new ObjectListField(Split))));

    private static readonly Shape SignpostMatch = new("a signpost match", Fields(
        ("types", new TextListField()), ("claims", new TextListField()), ("sources", new TextListField())));

    public static Shape Signpost { get; } = new("a signpost", Fields(
        ("id", new TextField()), ("hypothesis", new TextField()), ("description", new TextField()), ("expect", new TextField()),
        ("match", new ObjectField(SignpostMatch)), ("from", new TextField()), ("deadline", new TextField())));

    public static Shape ContextPeriod { get; } = new("a context period", Fields(
        ("id", new TextField()), ("label", new TextField()), ("category", new TextField()), ("start", new TextField()),
        ("end", new TextField()), ("decisionAt", new TextField())));

    /// <summary>
    /// Every unknown, duplicated or wrongly typed field of <paramref name="value"/>, by JSON path under
    /// <paramref name="path"/> ("" for a body, "[3]" for the fourth entry of a list file). A JSON null is accepted
    /// anywhere: whether a field is required is the validators' business.
    /// </summary>
    public static IReadOnlyList<FieldError> Check(JsonElement value, Shape shape, string path = "")
    {
        ArgumentNullException.ThrowIfNull(shape);
        var errors = new List<FieldError>();
        CheckObject(value, shape, path, errors);
        return errors;
    }

    private static void CheckObject(JsonElement value, Shape shape, string path, List<FieldError> errors)
    {
        if (value.ValueKind != JsonValueKind.Object)
        {
            errors.Add(WrongType(path, $"{shape.Name} (a JSON object)"));
            return;
        }
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var property in value.EnumerateObject())
        {
            var field = Join(path, property.Name);
            if (!shape.Fields.TryGetValue(property.Name, out var kind))
            {
                errors.Add(new FieldError(field, ErrorCodes.UnknownField, UnknownFieldMessage(property.Name, shape)));
            }
            else if (!seen.Add(property.Name))
            {
                errors.Add(new FieldError(field, ErrorCodes.DuplicateField, $"{field} appears twice; give each field once."));
            }
            else if (property.Value.ValueKind != JsonValueKind.Null)
            {
                CheckValue(property.Value, kind, field, errors);
            }
        }
    }

    private static void CheckValue(JsonElement value, FieldKind kind, string field, List<FieldError> errors)
    {
        switch (kind)
        {
            case TextField when value.ValueKind != JsonValueKind.String:
            case FlagField when value.ValueKind is not (JsonValueKind.True or JsonValueKind.False):
            case IntegerField when value.ValueKind != JsonValueKind.Number || !value.TryGetInt32(out _):
            case TextListField or ObjectListField when value.ValueKind != JsonValueKind.Array:
            case TextMapField when value.ValueKind != JsonValueKind.Object:
                errors.Add(WrongType(field, kind.Expected));
                break;
            case TextListField:
                var i = 0;
                foreach (var element in value.EnumerateArray())
                {
                    if (element.ValueKind != JsonValueKind.String) errors.Add(WrongType($"{field}[{i}]", "a string"));
                    i++;
                }
                break;
            case TextMapField map:
                foreach (var entry in value.EnumerateObject())
                {
                    if (entry.Value.ValueKind != JsonValueKind.String) errors.Add(WrongType($"{field}.{entry.Name}", map.ValueExpected));
                }
                break;
            case ObjectField o:
                CheckObject(value, o.Shape, field, errors);
                break;
            case ObjectListField list:
                var n = 0;
                foreach (var element in value.EnumerateArray())
                {
                    CheckObject(element, list.Shape, $"{field}[{n++}]", errors);
                }
                break;
        }
    }

    private static FieldError WrongType(string field, string expected) =>
        new(field.Length == 0 ? "$" : field, ErrorCodes.WrongType, $"{(field.Length == 0 ? "The body" : field)} must be {expected}.");

    private static string UnknownFieldMessage(string name, Shape shape)
    {
        var message = $"'{name}' is not a field of {shape.Name}";
        return Suggest(name, shape.Fields.Keys) is { } close
            ? $"{message}; did you mean '{close}'?"
            : $"{message}. Its fields are: {string.Join(", ", shape.Fields.Keys)}.";
    }

    /// <summary>
    /// The known field a misspelling most likely meant: the same name in another case, else the closest one within
    /// two edits (insertions, deletions, substitutions or swaps of neighbours), when there is exactly one such.
    /// </summary>
    public static string? Suggest(string name, IEnumerable<string> known)
    {
        ArgumentNullException.ThrowIfNull(name);
        var candidates = known.ToList();
        if (candidates.FirstOrDefault(k => string.Equals(k, name, StringComparison.OrdinalIgnoreCase)) is { } sameLetters)
        {
            return sameLetters;
        }
        var scored = candidates.Select(k => (Name: k, Distance: EditDistance(name.ToLowerInvariant(), k.ToLowerInvariant())))
            .Where(c => c.Distance <= 2 && c.Distance < Math.Max(name.Length, c.Name.Length) / 2.0)
            .OrderBy(c => c.Distance).ToList();
        return scored.Count > 0 && (scored.Count == 1 || scored[0].Distance < scored[1].Distance) ? scored[0].Name : null;
    }

    /// <summary>Optimal string alignment distance (Damerau-Levenshtein without re-editing a swapped pair).</summary>
    internal static int EditDistance(string a, string b)
    {
        var d = new int[a.Length + 1, b.Length + 1];
        for (var i = 0; i <= a.Length; i++) d[i, 0] = i;
        for (var j = 0; j <= b.Length; j++) d[0, j] = j;
        for (var i = 1; i <= a.Length; i++)
        {
            for (var j = 1; j <= b.Length; j++)
            {
                var cost = a[i - 1] == b[j - 1] ? 0 : 1;
                d[i, j] = Math.Min(Math.Min(d[i - 1, j] + 1, d[i, j - 1] + 1), d[i - 1, j - 1] + cost);
                if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
                {
                    d[i, j] = Math.Min(d[i, j], d[i - 2, j - 2] + 1);
                }
            }
        }
        return d[a.Length, b.Length];
    }

    private static string Join(string path, string name) => path.Length == 0 ? name : $"{path}.{name}";

    private static Dictionary<string, FieldKind> Fields(params (string Name, FieldKind Kind)[] fields) =>
        fields.ToDictionary(f => f.Name, f => f.Kind, StringComparer.Ordinal);
}
