using System.Collections.Immutable;
using System.Text;
using System.Text.Json;

namespace Narrative.Analysis.Queries;

/// <summary>Reads a ratings object ({"genuine":"C",...}) without the serializer: it is on the hot path of every query.</summary>
internal static class RatingsJson
{
    public static ImmutableSortedDictionary<string, string> Parse(string json)
    {
        var builder = ImmutableSortedDictionary.CreateBuilder<string, string>(StringComparer.Ordinal);
        var reader = new Utf8JsonReader(Encoding.UTF8.GetBytes(json));
        string? key = null;
        while (reader.Read())
        {
            if (reader.TokenType == JsonTokenType.PropertyName) key = reader.GetString();
            else if (reader.TokenType == JsonTokenType.String && key is not null) builder[key] = reader.GetString()!;
        }
        return builder.ToImmutable();
    }
}
