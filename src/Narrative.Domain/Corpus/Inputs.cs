namespace Narrative.Domain.Corpus;

// Wire shapes of the corpus contract (docs/design.md, "Corpus format"). Everything is a nullable string so that
// the validator, not the JSON parser, reports bad values by field name.

public sealed record DocumentInput(
    string? Id, string? Source, string? PublishedAt, string? Title, string? Url,
    IReadOnlyList<string>? Authors, IReadOnlyList<string>? Cites, IReadOnlyList<ItemInput>? Items, string? CaptureId = null);

public sealed record ItemInput(
    string? Id, string? Topic, string? Type, string? Claim, string? Summary, string? Quote, string? AttributedTo,
    string? OccurredAt, int? Credibility, IReadOnlyDictionary<string, string>? Ratings, IReadOnlyList<string>? Rebuts,
    string? Note, string? Speaker = null);

public sealed record TopicInput(string? Id, string? Title, PeriodInput? Period, IReadOnlyList<HypothesisInput>? Hypotheses);

public sealed record PeriodInput(string? Start, string? End);

public sealed record HypothesisInput(string? Id, string? Label, string? Description);

/// <summary>A source. <paramref name="Reason"/> is required when the body regrades a held source (a new reliability).</summary>
public sealed record SourceInput(string? Id, string? Name, string? Kind, string? Reliability, string? Rationale, string? Reason = null);

/// <summary><c>POST /api/topics/{topic}/hypotheses</c>: a revision of the hypothesis set.</summary>
public sealed record HypothesisRevisionInput(string? Reason, IReadOnlyList<HypothesisInput>? Add, IReadOnlyList<string>? Retire,
    IReadOnlyList<HypothesisSplitInput>? Split);

public sealed record HypothesisSplitInput(string? From, IReadOnlyList<string>? Into);

/// <summary><c>POST /api/topics/{topic}/signposts</c>.</summary>
public sealed record SignpostInput(string? Id, string? Hypothesis, string? Description, string? Expect, SignpostMatchInput? Match,
    string? From, string? Deadline);

public sealed record SignpostMatchInput(IReadOnlyList<string>? Types, IReadOnlyList<string>? Claims, IReadOnlyList<string>? Sources);

public sealed record ContextPeriodInput(string? Id, string? Label, string? Category, string? Start, string? End, string? DecisionAt);

public sealed record CorrectionInput(string? Reason, IReadOnlyList<CorrectionItemInput>? Items);

public sealed record CorrectionItemInput(string? Id, IReadOnlyDictionary<string, string>? Ratings, int? Credibility, bool? Retracted);

/// <summary>One wrong field. <paramref name="Field"/> is a JSON path (<c>items[2].ratings.genuine</c>, <c>$</c> for the whole body).</summary>
public sealed record FieldError(string Field, string Code, string Message);

/// <summary>Either a value (the events to append) or every error found.</summary>
public sealed record Validated<T>(T? Value, IReadOnlyList<FieldError> Errors) where T : class
{
    public bool IsValid => Errors.Count == 0 && Value is not null;
}

/// <summary>A valid document: its <see cref="DocumentIngested"/> followed by one <see cref="ItemRecorded"/> per item.</summary>
public sealed record IngestedDocument(DocumentIngested Document, IReadOnlyList<ItemRecorded> Items)
{
    public IReadOnlyList<object> Events => [Document, .. Items];
}

public static class ErrorCodes
{
    public const string Required = "required";
    public const string Slug = "slug";
    public const string UnknownSource = "unknown_source";
    public const string UnknownTopic = "unknown_topic";
    public const string UnknownHypothesis = "unknown_hypothesis";
    public const string MissingRating = "missing_rating";
    public const string InvalidRating = "invalid_rating";
    public const string InvalidType = "invalid_type";
    public const string CredibilityRange = "credibility_range";
    public const string InvalidDate = "invalid_date";
    public const string FutureDate = "future_date";
    public const string UnresolvedCite = "unresolved_cite";
    public const string SelfCite = "self_cite";
    public const string DuplicateCite = "duplicate_cite";
    public const string UnresolvedRebuts = "unresolved_rebuts";
    public const string SelfRebuttal = "self_rebuttal";
    public const string RebutsRequiresRebuttal = "rebuts_requires_rebuttal";
    public const string RebuttalRequiresRebuts = "rebuttal_requires_rebuts";
    public const string DuplicateItem = "duplicate_item";
    public const string ItemExists = "item_exists";
    public const string TooLarge = "too_large";
    public const string InvalidUrl = "invalid_url";
    public const string InvalidReliability = "invalid_reliability";
    public const string PeriodOrder = "period_order";
    public const string MilestoneSpan = "milestone_span";
    public const string TooFewHypotheses = "too_few_hypotheses";
    public const string DuplicateHypothesis = "duplicate_hypothesis";
    public const string UnknownItem = "unknown_item";
    public const string ItemNotInDocument = "item_not_in_document";
    public const string ItemRetracted = "item_retracted";
    public const string EmptyCorrection = "empty_correction";
    public const string ConflictingCorrection = "conflicting_correction";
    public const string UnknownField = "unknown_field";
    public const string DuplicateField = "duplicate_field";
    public const string WrongType = "wrong_type";
    public const string TooLong = "too_long";
    public const string TooMany = "too_many";
    public const string OccurredAfterPublished = "occurred_after_published";
    public const string CitesLaterDocument = "cites_later_document";
    public const string UnknownCapture = "unknown_capture";
    public const string QuoteNotInCapture = "quote_not_in_capture";
    public const string UnknownSpeaker = "unknown_speaker";
    public const string RegradeNeedsReason = "regrade_needs_reason";
    public const string EmptyRevision = "empty_revision";
    public const string InvalidExpect = "invalid_expect";
    public const string EmptyMatch = "empty_match";
    public const string SplitTooFew = "split_too_few";
}
