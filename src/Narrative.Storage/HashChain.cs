using System.Buffers;
using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json;

namespace Narrative.Storage;

/// <summary>
/// Tamper evidence on top of Marten: every event carries, in its <c>sha256</c> header, a SHA-256 over a canonical JSON
/// form (RFC 8785 style: object keys sorted by code point, no whitespace, numbers in their shortest form) of
/// <c>{data, id, previous, stream, type, version}</c>, where <c>previous</c> is the hash of the stream's event before it.
/// Marten stores <c>jsonb</c>, which reorders keys and rewrites spacing; the canonical form is what survives that round
/// trip, so the hash is computed from the same canonical text at append and at verification.
/// </summary>
public static class HashChain
{
    public const string Header = "sha256";

    public static string Compute(string? previous, string type, string stream, long version, Guid eventId, string dataJson)
    {
        var buffer = new ArrayBufferWriter<byte>(dataJson.Length + 256);
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WritePropertyName("data");
            using (var doc = JsonDocument.Parse(dataJson)) WriteCanonical(w, doc.RootElement);
            w.WriteString("id", eventId.ToString("D"));
            w.WriteString("previous", previous ?? "");
            w.WriteString("stream", stream);
            w.WriteString("type", type);
            w.WriteNumber("version", version);
            w.WriteEndObject();
        }
        return Convert.ToHexStringLower(SHA256.HashData(buffer.WrittenSpan));
    }

    private static void WriteCanonical(Utf8JsonWriter w, JsonElement e)
    {
        switch (e.ValueKind)
        {
            case JsonValueKind.Object:
                w.WriteStartObject();
                foreach (var p in e.EnumerateObject().OrderBy(p => p.Name, StringComparer.Ordinal))
                {
                    w.WritePropertyName(p.Name);
                    WriteCanonical(w, p.Value);
                }
                w.WriteEndObject();
                break;
            case JsonValueKind.Array:
                w.WriteStartArray();
                foreach (var item in e.EnumerateArray()) WriteCanonical(w, item);
                w.WriteEndArray();
                break;
            case JsonValueKind.String:
                w.WriteStringValue(e.GetString());
                break;
            case JsonValueKind.Number:
                // jsonb keeps numeric text but may drop an exponent (1e2 -> 100): one shortest form for both.
                if (e.TryGetInt64(out var n)) w.WriteNumberValue(n);
                else w.WriteRawValue(e.GetDouble().ToString("R", CultureInfo.InvariantCulture));
                break;
            case JsonValueKind.True: w.WriteBooleanValue(true); break;
            case JsonValueKind.False: w.WriteBooleanValue(false); break;
            default: w.WriteNullValue(); break;
        }
    }
}
