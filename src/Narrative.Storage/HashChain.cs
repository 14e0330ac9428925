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

    // Appends hash every event they write: one buffer and writer per thread instead of two allocations per event.
    [ThreadStatic] private static ArrayBufferWriter<byte>? _buffer;
    [ThreadStatic] private static Utf8JsonWriter? _writer;

    public static string Compute(string? previous, string type, string stream, long version, Guid eventId, string dataJson)
    {
        var buffer = _buffer ??= new ArrayBufferWriter<byte>(4096);
        buffer.ResetWrittenCount();
        var w = _writer ??= new Utf8JsonWriter(buffer);
        w.Reset(buffer);
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
            w.Flush();
        }
        Span<byte> hash = stackalloc byte[32];
        SHA256.HashData(buffer.WrittenSpan, hash);
        return Convert.ToHexStringLower(hash);
    }

    private static void WriteCanonical(Utf8JsonWriter w, JsonElement e)
    {
        switch (e.ValueKind)
        {
            case JsonValueKind.Object:
                // Names are read once each: JsonProperty.Name decodes a new string on every call.
                var properties = new List<(string Name, JsonElement Value)>(16);
                foreach (var p in e.EnumerateObject()) properties.Add((p.Name, p.Value));
                properties.Sort(static (a, b) => string.CompareOrdinal(a.Name, b.Name));
                w.WriteStartObject();
                foreach (var (name, value) in properties)
                {
                    w.WritePropertyName(name);
                    WriteCanonical(w, value);
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
