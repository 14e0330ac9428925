using System.Text.Json.Serialization;

namespace Narrative.Domain;

// Every fact Narrative records. Past tense, immutable; corrections are new events, never edits.
// Stream conventions: source-{id}, topic-{id}, context-{id}, document-{id}, capture-{id}, signpost-{topic}-{id},
// analyst-{id} (Analysts/AnalystEvents.cs).

public sealed record Hypothesis(string Id, string Label, string? Description);

// Registrations happen in the world when they are made: RegisteredOn / OpenedOn is that day (UTC), stamped by the
// ingestion service from its TimeProvider. It is not content: the same source registered again on a later day is the
// same source, so it is left out of the JSON whose hash decides "same or different" while it is null.

public sealed record SourceRegistered(string SourceId, string Name, string Kind, string Reliability, string? Rationale,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] DateOnly? RegisteredOn = null);

public sealed record TopicOpened(string TopicId, string Title, DateOnly PeriodStart, DateOnly PeriodEnd, IReadOnlyList<Hypothesis> Hypotheses,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] DateOnly? OpenedOn = null);

public sealed record ContextPeriodRecorded(string PeriodId, string Label, string Category, DateOnly Start, DateOnly End, DateOnly? DecisionAt);

public sealed record DocumentIngested(
    string DocumentId, string Source, DateOnly PublishedAt, string Title, string? Url,
    IReadOnlyList<string> Authors, IReadOnlyList<string> Cites, IReadOnlyList<string> ItemIds, string ContentHash,
    string? CaptureId = null);

public sealed record ItemRecorded(
    string ItemId, string DocumentId, string Source, DateOnly PublishedAt, string Topic, string Type, string Claim,
    string Summary, string? Quote, string? AttributedTo, DateOnly? OccurredAt, int Credibility,
    IReadOnlyDictionary<string, string> Ratings, IReadOnlyList<string> Rebuts, string? Note, string? Speaker = null);

/// <summary>A source's reliability changed (a regrade). Earlier system times keep the earlier grade.</summary>
public sealed record SourceRegraded(string SourceId, string Reliability, string Reason);

/// <summary>One hypothesis split into finer ones; each of <paramref name="Into"/> starts with the ratings of <paramref name="From"/>.</summary>
public sealed record HypothesisSplit(string From, IReadOnlyList<string> Into);

/// <summary>
/// A revision of a topic's hypothesis set: <paramref name="Added"/> (split products included, with their labels),
/// <paramref name="Retired"/> and <paramref name="Splits"/> (whose sources leave the set).
/// </summary>
public sealed record HypothesesRevised(string TopicId, string Reason, IReadOnlyList<Hypothesis> Added, IReadOnlyList<string> Retired,
    IReadOnlyList<HypothesisSplit> Splits);

/// <summary>What a signpost watches for: an item matches when it is of the topic and of any listed type, claim and source (an empty list allows any).</summary>
public sealed record SignpostPattern(IReadOnlyList<string> Types, IReadOnlyList<string> Claims, IReadOnlyList<string> Sources);

/// <summary>
/// Heuer's step 8: an indicator set in advance. <paramref name="Expect"/> is <c>present</c> (an item matching
/// <paramref name="Match"/> published in [From, Deadline] would bear out <paramref name="Hypothesis"/>) or <c>absent</c>
/// (such an item would count against it).
/// </summary>
public sealed record SignpostSet(string Topic, string SignpostId, string Hypothesis, string Description, string Expect,
    SignpostPattern Match, DateOnly From, DateOnly Deadline);

/// <summary>An item matched a signpost (written by the signpost watcher). <paramref name="Failed"/>: the signpost expected absence.</summary>
public sealed record SignpostMatched(string Topic, string SignpostId, string ItemId, string DocumentId, DateOnly PublishedAt, bool Failed);

/// <summary>A signpost's deadline passed in world time with no match. <paramref name="Failed"/>: the signpost expected presence.</summary>
public sealed record SignpostExpired(string Topic, string SignpostId, DateOnly Deadline, DateOnly ObservedAt, bool Failed);

public sealed record ItemRerated(string ItemId, string DocumentId, string Topic, IReadOnlyDictionary<string, string>? Ratings, int? Credibility, string Reason);

public sealed record ItemRetracted(string ItemId, string DocumentId, string Topic, string Reason);

// A raw web page as it was received (its bytes are kept compressed beside the log, named by Sha256), and what an
// extractor version made of it. A newer extractor appends a new PageExtracted; readers take the newest.
public sealed record PageCaptured(string CaptureId, string Url, DateTimeOffset RetrievedAt, string Sha256, long Bytes, string ContentType);

public sealed record PageExtracted(
    string CaptureId, string ExtractorVersion, string? Title, IReadOnlyList<string> Byline, DateOnly? PublishedAt,
    string PublishedAtConfidence, string? PublishedAtEvidence, string MainText, int RemovedChars,
    IReadOnlyList<RemovedBlock> Removed, IReadOnlyList<string> CitedOutlets, IReadOnlyList<CandidateQuote> Quotes);

/// <summary>A block of the page left out of the main text, and the rule that left it out.</summary>
public sealed record RemovedBlock(string Text, string Reason);

/// <summary>A quotation found in the main text; Speaker is whom the text attributes it to, when it says.</summary>
public sealed record CandidateQuote(string Text, string? Speaker);

// Written by handlers (reactions), carrying causation and correlation ids in their metadata.
/// <summary>
/// A signal inside an aid-debate window (Periods, DaysToDecision) and/or published at most the timing test's default
/// window before a known aid decision (NextMilestone, DaysToMilestone; null when not).
/// </summary>
public sealed record CoincidenceFlagged(string Topic, string ItemId, string DocumentId, DateOnly PublishedAt, IReadOnlyList<string> Periods, int? DaysToDecision,
    string? NextMilestone = null, int? DaysToMilestone = null);

public sealed record AppearanceLinked(string Claim, string ItemId, string DocumentId, bool Derivative, string? DerivedFrom);

public sealed record ItemContested(string Topic, string ItemId, string ByItemId, DateOnly AsOf);

public sealed record ContradictionFlagged(string Topic, string SignalItemId, string StatementItemId, int DaysApart);

public sealed record LeadingHypothesisShifted(string Topic, string? From, string To, DateOnly AsOf, IReadOnlyList<string> Causes);

/// <summary>Stable storage names. Renaming a CLR type must never change these.</summary>
public static class NarrativeEventTypes
{
    public static readonly IReadOnlyList<(Type Type, string Name)> All =
    [
        (typeof(SourceRegistered), "narrative.source_registered.v1"),
        (typeof(TopicOpened), "narrative.topic_opened.v1"),
        (typeof(ContextPeriodRecorded), "narrative.context_period_recorded.v1"),
        (typeof(DocumentIngested), "narrative.document_ingested.v1"),
        (typeof(ItemRecorded), "narrative.item_recorded.v1"),
        (typeof(ItemRerated), "narrative.item_rerated.v1"),
        (typeof(ItemRetracted), "narrative.item_retracted.v1"),
        (typeof(CoincidenceFlagged), "narrative.coincidence_flagged.v1"),
        (typeof(AppearanceLinked), "narrative.appearance_linked.v1"),
        (typeof(ItemContested), "narrative.item_contested.v1"),
        (typeof(ContradictionFlagged), "narrative.contradiction_flagged.v1"),
        (typeof(LeadingHypothesisShifted), "narrative.leading_hypothesis_shifted.v1"),
        (typeof(PageCaptured), "narrative.page_captured.v1"),
        (typeof(PageExtracted), "narrative.page_extracted.v1"),
        (typeof(SourceRegraded), "narrative.source_regraded.v1"),
        (typeof(HypothesesRevised), "narrative.hypotheses_revised.v1"),
        (typeof(SignpostSet), "narrative.signpost_set.v1"),
        (typeof(SignpostMatched), "narrative.signpost_matched.v1"),
        (typeof(SignpostExpired), "narrative.signpost_expired.v1"),
        (typeof(Analysts.AnalystRegistered), "narrative.analyst_registered.v1"),
        (typeof(Analysts.AnalystKeyRotated), "narrative.analyst_key_rotated.v1"),
        (typeof(Analysts.AnalystKeyRevoked), "narrative.analyst_key_revoked.v1"),
        (typeof(Analysts.RatingRecorded), "narrative.rating_recorded.v1"),
    ];

    /// <summary>
    /// World time of an event: when the piece was published, the period began, the source or topic was registered, or
    /// the reaction's date. A registration recorded before registrations carried their day falls back to the day it
    /// was recorded (<paramref name="recordedAt"/>), which is when it was made. Null for events without one (captures).
    /// </summary>
    public static DateOnly? WorldTime(object e, DateTimeOffset recordedAt) => e switch
    {
        SourceRegistered s => s.RegisteredOn ?? DateOnly.FromDateTime(recordedAt.UtcDateTime),
        TopicOpened t => t.OpenedOn ?? DateOnly.FromDateTime(recordedAt.UtcDateTime),
        SourceRegraded or HypothesesRevised => DateOnly.FromDateTime(recordedAt.UtcDateTime),
        DocumentIngested d => d.PublishedAt,
        ItemRecorded i => i.PublishedAt,
        ContextPeriodRecorded c => c.Start,
        CoincidenceFlagged c => c.PublishedAt,
        ItemContested c => c.AsOf,
        LeadingHypothesisShifted l => l.AsOf,
        SignpostSet p => p.From,
        SignpostMatched m => m.PublishedAt,
        SignpostExpired x => x.Deadline,
        _ => null,
    };

    public static string SourceStream(string id) => $"source-{id}";
    public static string TopicStream(string id) => $"topic-{id}";
    public static string ContextStream(string id) => $"context-{id}";
    public static string DocumentStream(string id) => $"document-{id}";
    public static string CaptureStream(string id) => $"capture-{id}";
    public static string SignpostStream(string topic, string id) => $"signpost-{topic}-{id}";
}
