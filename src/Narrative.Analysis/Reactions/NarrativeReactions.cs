using Narrative.Analysis.Alerts;

namespace Narrative.Analysis.Reactions;

/// <summary>
/// The reactions to new evidence and new analyst ratings, as Wolverine handlers fed from Marten's events. Each reads
/// only the event log at or before its trigger (no tables of its own) and handles only ingestion events (ItemRecorded,
/// ItemRerated, ItemRetracted, RatingRecorded), never the events reactions append, so reactions cannot loop.
/// </summary>
public static class NarrativeReactions
{
    /// <summary>The handler classes, for Wolverine's discovery.</summary>
    public static IReadOnlyList<Type> Handlers { get; } =
        [typeof(CoincidenceDetector), typeof(ProvenanceLinker), typeof(ContradictionFlagger), typeof(AssessmentWatcher), typeof(SignpostWatcher), typeof(AnalystDivergence), typeof(AlertHandler), typeof(WebhookSender)];

    public static IReadOnlyList<string> Names { get; } =
        [CoincidenceDetector.Name, ProvenanceLinker.Name, ContradictionFlagger.Name, AssessmentWatcher.Name, SignpostWatcher.Name, AnalystDivergence.Name];
}
