using System.Globalization;
using System.Text.RegularExpressions;

namespace Narrative.Domain.Corpus;

/// <summary>Field rules shared by every validator. Collects errors instead of stopping at the first.</summary>
internal sealed partial class Rules
{
    public static readonly IReadOnlySet<string> RatingValues = new HashSet<string>(StringComparer.Ordinal) { "CC", "C", "N", "I", "II", "NA" };
    public static readonly IReadOnlySet<string> ItemTypes = new HashSet<string>(StringComparer.Ordinal)
        { "signal", "statement", "action", "assessment", "rebuttal", "report" };

    private readonly List<FieldError> _errors = [];

    public IReadOnlyList<FieldError> Errors => _errors;

    public bool HasErrors => _errors.Count > 0;

    public void Add(string field, string code, string message) => _errors.Add(new FieldError(field, code, message));

    [GeneratedRegex("^[a-z0-9][a-z0-9._-]{0,127}$", RegexOptions.CultureInvariant)]
    private static partial Regex SlugPattern();

    public static bool IsSlug(string? value) => value is not null && SlugPattern().IsMatch(value);

    public bool Required(string field, string? value)
    {
        if (!string.IsNullOrWhiteSpace(value))
        {
            return true;
        }
        Add(field, ErrorCodes.Required, $"{field} is required.");
        return false;
    }

    /// <summary>Checks presence (when <paramref name="required"/>) and slug shape; returns the slug when valid.</summary>
    public string? Slug(string field, string? value, bool required = true)
    {
        if (string.IsNullOrEmpty(value))
        {
            if (required)
            {
                Add(field, ErrorCodes.Required, $"{field} is required.");
            }
            return null;
        }
        if (!IsSlug(value))
        {
            Add(field, ErrorCodes.Slug, $"{field} must be a slug: lower-case letters, digits, '-', '_' or '.', starting with a letter or digit, at most 128 characters.");
            return null;
        }
        return value;
    }

    /// <summary>At most <paramref name="max"/> characters (UTF-16 code units, as .NET and JavaScript count them).</summary>
    public void MaxLength(string field, string? value, int max)
    {
        if (value is not null && value.Length > max)
        {
            Add(field, ErrorCodes.TooLong, $"{field} may be at most {max} characters; this one has {value.Length}.");
        }
    }

    public void MaxCount<T>(string field, IReadOnlyCollection<T>? values, int max, string what)
    {
        if (values is not null && values.Count > max)
        {
            Add(field, ErrorCodes.TooMany, $"{field} may list at most {max} {what}; this one has {values.Count}.");
        }
    }

    /// <summary>Words are runs of non-whitespace, as a reader would count them.</summary>
    public static int CountWords(string text) =>
        text.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Length;

    public void Quote(string field, string? quote)
    {
        if (quote is null)
        {
            return;
        }
        var words = CountWords(quote);
        if (words > Limits.QuoteWords)
        {
            Add(field, ErrorCodes.TooLong, $"{field} may be at most {Limits.QuoteWords} words (a short quote, not the text); this one has {words}.");
        }
        else
        {
            MaxLength(field, quote, Limits.QuoteCharacters);
        }
    }

    /// <summary>
    /// Accepts <c>YYYY-MM-DD</c> or a full ISO 8601 date-time, whose calendar date (as written) is taken.
    /// </summary>
    public static DateOnly? ParseDate(string? value)
    {
        if (value is null)
        {
            return null;
        }
        if (value.Length == 10)
        {
            return DateOnly.TryParseExact(value, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var d) ? d : null;
        }
        if (value.Length > 10 && value[10] == 'T'
            && DateTimeOffset.TryParse(value, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out _)
            && DateOnly.TryParseExact(value[..10], "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var date))
        {
            return date;
        }
        return null;
    }

    public DateOnly? Date(string field, string? value, bool required, DateOnly? notAfter = null)
    {
        if (string.IsNullOrEmpty(value))
        {
            if (required)
            {
                Add(field, ErrorCodes.Required, $"{field} is required.");
            }
            return null;
        }
        var date = ParseDate(value);
        if (date is null)
        {
            Add(field, ErrorCodes.InvalidDate, $"{field} must be an ISO date (YYYY-MM-DD).");
            return null;
        }
        if (notAfter is { } limit && date.Value > limit)
        {
            Add(field, ErrorCodes.FutureDate, $"{field} {date.Value:yyyy-MM-dd} is after today ({limit:yyyy-MM-dd}).");
            return null;
        }
        return date;
    }

    public int? Credibility(string field, int? value, bool required)
    {
        if (value is null)
        {
            if (required)
            {
                Add(field, ErrorCodes.Required, $"{field} is required.");
            }
            return null;
        }
        if (value is < 1 or > 6)
        {
            Add(field, ErrorCodes.CredibilityRange, $"{field} must be an Admiralty information grade from 1 to 6.");
            return null;
        }
        return value;
    }

    /// <summary>Ratings must name exactly the topic's hypotheses, each with an ACH value.</summary>
    public void Ratings(string field, IReadOnlyDictionary<string, string> ratings, IReadOnlySet<string>? hypotheses, bool requireAll = true)
    {
        foreach (var (key, value) in ratings.OrderBy(r => r.Key, StringComparer.Ordinal))
        {
            if (hypotheses is not null && !hypotheses.Contains(key))
            {
                Add($"{field}.{key}", ErrorCodes.UnknownHypothesis, $"'{key}' is not a hypothesis of this topic.");
            }
            if (value is null || !RatingValues.Contains(value))
            {
                Add($"{field}.{key}", ErrorCodes.InvalidRating, "A rating is one of CC, C, N, I, II, NA.");
            }
        }
        if (hypotheses is null || !requireAll)
        {
            return;
        }
        foreach (var h in hypotheses.Order(StringComparer.Ordinal))
        {
            if (!ratings.ContainsKey(h))
            {
                Add($"{field}.{h}", ErrorCodes.MissingRating, $"A rating for hypothesis '{h}' is required.");
            }
        }
    }
}

/// <summary>The id rule of the corpus format, for callers outside the validators.</summary>
public static class Slugs
{
    public static bool IsValid(string? value) => Rules.IsSlug(value);
}
