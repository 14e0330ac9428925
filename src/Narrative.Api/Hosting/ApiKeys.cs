using System.Security.Cryptography;
using System.Text;
using Narrative.Analysis;

namespace Narrative.Api.Hosting;

public enum ApiRole { Ingest, Admin, Analyst }

/// <summary>Endpoint metadata: the route needs this role's key. The OpenAPI document applies the X-Api-Key scheme from it.</summary>
public sealed record ApiKeyRequirement(ApiRole Role);

/// <summary>
/// X-Api-Key checks: no, unknown or revoked key → 401; a valid key of another role → 403. The ingest and admin keys come
/// from configuration; analyst keys are issued by an admin and checked against their stored hashes
/// (<see cref="Narrative.Analysis.Analysts.AnalystService"/>). The caller's identity becomes the actor of the events the
/// request writes: "ingest", "admin" or "analyst:{id}".
/// </summary>
public static class ApiKeys
{
    public const string Header = "X-Api-Key";
    private const string ActorItem = "Narrative.Actor";
    private const string AnalystItem = "Narrative.Analyst";

    /// <summary>Checks the key, and says so in the route's OpenAPI description (the scheme, 401 and 403).</summary>
    public static TBuilder RequireKey<TBuilder>(this TBuilder builder, ApiRole role) where TBuilder : IEndpointConventionBuilder =>
        builder.WithMetadata(new ApiKeyRequirement(role), Problems.Response(401), Problems.Response(403)).AddEndpointFilter(async (ctx, next) =>
        {
            var http = ctx.HttpContext;
            var (held, analyst) = await IdentifyAsync(http, http.Request.Headers[Header].ToString(), role, http.RequestAborted);
            var name = role.ToString().ToLowerInvariant();
            if (held is null)
                return Problems.Status(401, "Missing or unknown API key", $"Send the {name} key in the {Header} header.");
            if (held != role)
                return Problems.Status(403, "Wrong role", $"This route needs the {name} key.");
            http.Items[ActorItem] = analyst is null ? name : $"analyst:{analyst}";
            if (analyst is not null) http.Items[AnalystItem] = analyst;
            return await next(ctx);
        });

    /// <summary>The role of the key given (and the analyst, for an analyst key), or null when it is no live key.</summary>
    private static async Task<(ApiRole? Role, string? Analyst)> IdentifyAsync(HttpContext http, string given, ApiRole wanted, CancellationToken ct)
    {
        if (given.Length == 0) return (null, null);
        var options = http.RequestServices.GetRequiredService<NarrativeOptions>();
        var hash = Hash(given);
        bool admin = Matches(hash, options.AdminKeyHash), ingest = Matches(hash, options.IngestKeyHash);
        // One key configured for both roles serves both.
        if (admin && (wanted == ApiRole.Admin || !ingest)) return (ApiRole.Admin, null);
        if (ingest) return (ApiRole.Ingest, null);
        var analyst = await http.RequestServices.GetRequiredService<NarrativeServices>().Analysts.AuthenticateAsync(given, ct);
        return analyst is null ? (null, null) : (ApiRole.Analyst, analyst.Id);
    }

    /// <summary>Who made the request, for event metadata: the role of its key, or "analyst:{id}". Falls back to the client address.</summary>
    public static string Actor(HttpContext http) =>
        http.Items[ActorItem] as string ?? $"api:{http.Connection.RemoteIpAddress}";

    /// <summary>The analyst whose key the request carried (routes that require <see cref="ApiRole.Analyst"/>).</summary>
    public static string? Analyst(HttpContext http) => http.Items[AnalystItem] as string;

    /// <summary>Keys are held and compared as SHA-256 hashes: equal lengths, so the comparison time says nothing of the key.</summary>
    public static byte[] Hash(string key) => SHA256.HashData(Encoding.UTF8.GetBytes(key));

    private static bool Matches(byte[] given, byte[] expected) =>
        expected.Length > 0 && CryptographicOperations.FixedTimeEquals(given, expected);
}
