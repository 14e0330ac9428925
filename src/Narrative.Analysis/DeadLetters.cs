using Wolverine.Persistence.Durability;
using Wolverine.Persistence.Durability.DeadLetterManagement;

namespace Narrative.Analysis;

/// <summary>A handler message Wolverine gave up on after its last attempt, as the admin routes and the CLI show it.</summary>
/// <param name="Queue">The local queue it failed in; each reaction of an event with several has a queue named after it.</param>
public sealed record DeadLetter(Guid Id, string MessageType, string? Queue, string? ExceptionType, string? ExceptionMessage,
    DateTimeOffset SentAt, DateTimeOffset? FailedAt, bool Replayable, int ReplayCount, object? Message);

public enum ReplayOutcome { Replayed, NotFound }

/// <summary>Lists and replays Wolverine's dead letters (<c>wolverine_dead_letters</c>) through its message store.</summary>
public sealed class DeadLetters(IMessageStore store)
{
    public async Task<IReadOnlyList<DeadLetter>> ListAsync(CancellationToken ct, int limit = 100)
    {
        var page = await store.DeadLetters.QueryAsync(new DeadLetterEnvelopeQuery { PageSize = limit }, ct);
        return [.. page.Envelopes.Select(ToDeadLetter)];
    }

    /// <summary>Marks a dead letter replayable: Wolverine's durability agent moves it back into the inbox and the handler runs again.</summary>
    public async Task<ReplayOutcome> ReplayAsync(Guid id, CancellationToken ct)
    {
        var found = await store.DeadLetters.QueryAsync(new DeadLetterEnvelopeQuery([id]), ct);
        if (found.Envelopes.Count == 0) return ReplayOutcome.NotFound;
        await store.DeadLetters.ReplayAsync(new DeadLetterEnvelopeQuery([id]), ct);
        return ReplayOutcome.Replayed;
    }

    private static DeadLetter ToDeadLetter(DeadLetterEnvelope e) => new(e.Id, e.MessageType, e.ReceivedAt, e.ExceptionType, e.ExceptionMessage,
        e.SentAt, e.FailedAt, e.Replayable, e.ReplayCount, e.Message);
}
