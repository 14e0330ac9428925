using System.Security.Cryptography;
using System.Text;

namespace Narrative.Api.Hosting;

public enum ApiRole { Ingest, Admin }

/// <summary>Endpoint metadata: the route needs this role's key. The OpenAPI document applies the X-Api-Key scheme from it.</summary>
public sealed record ApiKeyRequirement(ApiRole Role);

/// <summary>X-Api-Key checks: no or unknown key → 401; a valid key of the other role → 403.</summary>
public static class ApiKeys
{
    public const string Header = "X-Api-Key";

    /// <summary>Checks the key, and says so in the route's OpenAPI description (the scheme, 401 and 403).</summary>
    public static TBuilder RequireKey<TBuilder>(this TBuilder builder, ApiRole role) where TBuilder : IEndpointConventionBuilder =>
        builder.WithMetadata(new ApiKeyRequirement(role), Problems.Response(401), Problems.Response(403)).AddEndpointFilter(async (ctx, next) =>
        {
            var options = ctx.HttpContext.RequestServices.GetRequiredService<NarrativeOptions>();
            var given = ctx.HttpContext.Request.Headers[Header].ToString();
            var givenHash = given.Length > 0 ? Hash(given) : null;
            var isIngest = Matches(givenHash, options.IngestKeyHash);
            var isAdmin = Matches(givenHash, options.AdminKeyHash);
            if (!isIngest && !isAdmin)
                return Problems.Status(401, "Missing or unknown API key", $"Send the {role.ToString().ToLowerInvariant()} key in the {Header} header.");
            if ((role == ApiRole.Ingest && !isIngest) || (role == ApiRole.Admin && !isAdmin))
                return Problems.Status(403, "Wrong role", $"This route needs the {role.ToString().ToLowerInvariant()} key.");
            return await next(ctx);
        });

    /// <summary>Keys are held and compared as SHA-256 hashes: equal lengths, so the comparison time says nothing of the key.</summary>
    public static byte[] Hash(string key) => SHA256.HashData(Encoding.UTF8.GetBytes(key));

    private static bool Matches(byte[]? given, byte[] expected) =>
        given is not null && expected.Length > 0 && CryptographicOperations.FixedTimeEquals(given, expected);
}
