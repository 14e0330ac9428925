using Narrative.Domain.Assessment;
using Narrative.Domain.Corpus;

namespace Narrative.Domain.Analysts;

/// <summary>POST /api/admin/analysts: <c>{ "id": "alice", "name": "Alice" }</c>.</summary>
public sealed record AnalystInput(string? Id, string? Name);

/// <summary>POST /api/topics/{topic}/ratings: <c>{ "ratings": [ { "claim", "ratings": { h: rating }, "credibility"?, "note"? } ] }</c>.</summary>
public sealed record RatingsInput(IReadOnlyList<RatingInput?>? Ratings);

public sealed record RatingInput(string? Claim, IReadOnlyDictionary<string, string?>? Ratings, int? Credibility, string? Note);

/// <summary>Checks analyst and rating input; collects every error with the field it is about.</summary>
public static class AnalystValidator
{
    public const int MaxNameLength = 200;
    public const int MaxNoteLength = 2000;
    public const int MaxRatingsPerRequest = 500;

    public static IReadOnlyList<FieldError> Validate(AnalystInput input)
    {
        ArgumentNullException.ThrowIfNull(input);
        var errors = new List<FieldError>();
        if (string.IsNullOrEmpty(input.Id))
        {
            errors.Add(new FieldError("id", ErrorCodes.Required, "id is required."));
        }
        else if (!Slugs.IsValid(input.Id))
        {
            errors.Add(new FieldError("id", ErrorCodes.Slug,
                "id must be a slug: lower-case letters, digits, '-', '_' or '.', starting with a letter or digit, at most 128 characters."));
        }
        if (string.IsNullOrWhiteSpace(input.Name))
        {
            errors.Add(new FieldError("name", ErrorCodes.Required, "name is required."));
        }
        else if (input.Name.Length > MaxNameLength)
        {
            errors.Add(new FieldError("name", ErrorCodes.TooLong, $"name may be at most {MaxNameLength} characters."));
        }
        return errors;
    }

    /// <summary>
    /// The events for one analyst's ratings of claims of <paramref name="topic"/>, or the errors. <paramref name="hypotheses"/>
    /// are the topic's; <paramref name="claims"/> the claims its items carry.
    /// </summary>
    public static Validated<IReadOnlyList<RatingRecorded>> Validate(
        string analyst, string topic, RatingsInput input, IReadOnlySet<string> hypotheses, IReadOnlySet<string> claims)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(hypotheses);
        ArgumentNullException.ThrowIfNull(claims);
        var errors = new List<FieldError>();
        var events = new List<RatingRecorded>();
        if (input.Ratings is not { Count: > 0 } list)
        {
            errors.Add(new FieldError("ratings", ErrorCodes.Required, "ratings is required: a list of { claim, ratings, credibility?, note? }."));
            return new Validated<IReadOnlyList<RatingRecorded>>(null, errors);
        }
        if (list.Count > MaxRatingsPerRequest)
        {
            errors.Add(new FieldError("ratings", ErrorCodes.TooLarge, $"At most {MaxRatingsPerRequest} claims per request."));
            return new Validated<IReadOnlyList<RatingRecorded>>(null, errors);
        }
        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < list.Count; i++)
        {
            var f = $"ratings[{i}]";
            if (list[i] is not { } r)
            {
                errors.Add(new FieldError(f, ErrorCodes.Required, $"{f} must be an object."));
                continue;
            }
            var before = errors.Count;
            if (string.IsNullOrEmpty(r.Claim))
            {
                errors.Add(new FieldError($"{f}.claim", ErrorCodes.Required, $"{f}.claim is required."));
            }
            else if (!claims.Contains(r.Claim))
            {
                errors.Add(new FieldError($"{f}.claim", "unknown_claim", $"No item of topic '{topic}' carries claim '{r.Claim}'."));
            }
            else if (!seen.Add(r.Claim))
            {
                errors.Add(new FieldError($"{f}.claim", "duplicate_claim", $"Claim '{r.Claim}' is rated twice in this request."));
            }
            CheckCells($"{f}.ratings", r.Ratings, hypotheses, topic, errors);
            if (r.Credibility is { } c && c is < 1 or > 6)
            {
                errors.Add(new FieldError($"{f}.credibility", ErrorCodes.CredibilityRange, $"{f}.credibility is the Admiralty grade 1 to 6."));
            }
            if (r.Note is { Length: > MaxNoteLength })
            {
                errors.Add(new FieldError($"{f}.note", ErrorCodes.TooLong, $"{f}.note may be at most {MaxNoteLength} characters."));
            }
            if (errors.Count == before)
            {
                var cells = r.Ratings!.ToDictionary(kv => kv.Key, kv => kv.Value!, StringComparer.Ordinal);
                events.Add(new RatingRecorded(analyst, topic, r.Claim!, new SortedDictionary<string, string>(cells, StringComparer.Ordinal),
                    r.Credibility, string.IsNullOrWhiteSpace(r.Note) ? null : r.Note));
            }
        }
        return errors.Count > 0 ? new Validated<IReadOnlyList<RatingRecorded>>(null, errors) : new Validated<IReadOnlyList<RatingRecorded>>(events, []);
    }

    private static void CheckCells(string field, IReadOnlyDictionary<string, string?>? cells, IReadOnlySet<string> hypotheses, string topic,
        List<FieldError> errors)
    {
        if (cells is not { Count: > 0 })
        {
            errors.Add(new FieldError(field, ErrorCodes.Required, $"{field} is required: at least one hypothesis rating."));
            return;
        }
        foreach (var (h, v) in cells)
        {
            if (!hypotheses.Contains(h))
            {
                errors.Add(new FieldError($"{field}.{h}", ErrorCodes.UnknownHypothesis, $"Topic '{topic}' has no hypothesis '{h}'."));
            }
            else if (v is null || AchScoring.RatingValue(v) is null && v != "NA")
            {
                errors.Add(new FieldError($"{field}.{h}", ErrorCodes.InvalidRating, $"{field}.{h} must be one of CC, C, N, I, II, NA."));
            }
        }
    }
}
