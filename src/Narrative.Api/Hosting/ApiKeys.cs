using System.Security.Cryptography;
using System.Text;

namespace Narrative.Api.Hosting;

public enum ApiRole { Ingest, Admin }

/// <summary>X-Api-Key checks: no or unknown key → 401; a valid key of the other role → 403.</summary>
public static class ApiKeys
{
    public const string Header = "X-Api-Key";

    public static TBuilder RequireKey<TBuilder>(this TBuilder builder, ApiRole role) where TBuilder : IEndpointConventionBuilder =>
        builder.AddEndpointFilter(async (ctx, next) =>
        {
            var options = ctx.HttpContext.RequestServices.GetRequiredService<NarrativeOptions>();
            var given = ctx.HttpContext.Request.Headers[Header].ToString();
            var isIngest = Matches(given, options.IngestKey);
            var isAdmin = Matches(given, options.AdminKey);
            if (!isIngest && !isAdmin)
                return Problems.Status(401, "Missing or unknown API key", $"Send the {role.ToString().ToLowerInvariant()} key in the {Header} header.");
            if ((role == ApiRole.Ingest && !isIngest) || (role == ApiRole.Admin && !isAdmin))
                return Problems.Status(403, "Wrong role", $"This route needs the {role.ToString().ToLowerInvariant()} key.");
            return await next(ctx);
        });

    private static bool Matches(string given, string expected) =>
        given.Length > 0 && expected.Length > 0 &&
        CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(given), Encoding.UTF8.GetBytes(expected));
}
