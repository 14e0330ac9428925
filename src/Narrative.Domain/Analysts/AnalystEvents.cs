namespace Narrative.Domain.Analysts;

// Analysts as principals, and their own ratings. Stream: analyst-{id}. A key is never stored: only the SHA-256 of it
// (a 256-bit random key needs no salt or stretching; its hash reveals nothing usable).

public sealed record AnalystRegistered(string AnalystId, string Name, string KeyHash);

/// <summary>A new key replaces the old one (which stops working at once); a revoked analyst gets a working key again.</summary>
public sealed record AnalystKeyRotated(string AnalystId, string KeyHash);

/// <summary>The analyst's key stops working. Their ratings stay in the log and in every view: revocation is about access.</summary>
public sealed record AnalystKeyRevoked(string AnalystId, string? Reason);

/// <summary>
/// One analyst's ratings of one claim of a topic: per hypothesis (CC, C, N, I, II, NA), optionally a credibility (1-6)
/// and a note. A newer one by the same analyst for the same claim replaces it wholly from its system time on.
/// </summary>
public sealed record RatingRecorded(
    string AnalystId, string Topic, string Claim, IReadOnlyDictionary<string, string> Ratings, int? Credibility, string? Note);

public static class AnalystStreams
{
    public static string Of(string analystId) => $"analyst-{analystId}";
}
