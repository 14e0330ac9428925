using System.Globalization;
using Narrative.Domain.Replay;

namespace Narrative.Api.Hosting;

/// <summary>ISO 8601 query times. A date-only value means the end of that day, UTC.</summary>
public static class TimeParams
{
    public static bool TryInstant(string? text, DateTimeOffset fallback, out DateTimeOffset value)
    {
        value = fallback;
        if (string.IsNullOrWhiteSpace(text)) return true;
        if (DateOnly.TryParseExact(text, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var d))
        {
            value = WorldQueries.EndOfDay(d);
            return true;
        }
        if (DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var t))
        {
            value = t;
            return true;
        }
        return false;
    }

    public static bool TryDate(string? text, DateOnly fallback, out DateOnly value)
    {
        value = fallback;
        if (string.IsNullOrWhiteSpace(text)) return true;
        if (DateOnly.TryParseExact(text, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out value)) return true;
        if (DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var t))
        {
            value = DateOnly.FromDateTime(t.UtcDateTime);
            return true;
        }
        return false;
    }

    /// <summary>400 naming both ends of a range whose start is after its end.</summary>
    public static IResult Reversed(string fromName, string toName, string from, string to) => Problems.InvalidQuery(
    [
        new(fromName, "range_order", $"'{fromName}' ({from}) is after '{toName}' ({to}); give the earlier time first."),
        new(toName, "range_order", $"'{toName}' ({to}) is before '{fromName}' ({from}); give the earlier time first."),
    ]);

    public static IResult Invalid(string field) =>
        Problems.BadQuery(field, "invalid_date", $"'{field}' must be an ISO 8601 date (2024-01-31) or date-time (2024-01-31T12:00:00Z).");
}
