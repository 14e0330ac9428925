using Narrative.EventStore.Handlers;

namespace Narrative.Analysis.Reactions;

/// <summary>
/// The four reactions to new evidence. Each reads only the event log at or before its trigger (no tables of its own)
/// and handles only ingestion events (ItemRecorded, ItemRerated, ItemRetracted), never the events reactions append, so
/// reactions cannot loop.
/// </summary>
public static class NarrativeReactions
{
    public const string Coincidence = "reaction.coincidence";
    public const string Provenance = "reaction.provenance";
    public const string Contradiction = "reaction.contradiction";
    public const string AssessmentWatch = "reaction.assessment-watch";

    public static IReadOnlyList<string> Names { get; } = [Coincidence, Provenance, Contradiction, AssessmentWatch];

    /// <summary>Registers the four reactions under their stable names (their checkpoint, inbox and dead-letter names).</summary>
    public static HandlerRegistry Register(HandlerRegistry registry, int maxAttempts = 3)
    {
        ArgumentNullException.ThrowIfNull(registry);
        return registry
            .Add<CoincidenceDetector>(Coincidence, maxAttempts)
            .Add<ProvenanceLinker>(Provenance, maxAttempts)
            .Add<ContradictionFlagger>(Contradiction, maxAttempts)
            .Add<AssessmentWatcher>(AssessmentWatch, maxAttempts);
    }
}
