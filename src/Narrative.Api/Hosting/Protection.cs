using System.Security.Cryptography;
using System.Text;
using System.Threading.RateLimiting;
using Microsoft.AspNetCore.RateLimiting;

namespace Narrative.Api.Hosting;

/// <summary>
/// What every answer carries and every request meets before a route: security headers with a content security policy
/// (the explorer's scripts and styles are files of this origin; a captured page is served sandboxed), a limit on body
/// size, and a per-key rate limit that answers 429 with Retry-After.
/// </summary>
public static class Protection
{
    /// <summary>The explorer loads its module script, styles and vendor files from here, and talks only to this API.</summary>
    public const string PagePolicy =
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; font-src 'self'; " +
        "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

    /// <summary>A captured page is someone else's HTML: shown as an inert document with no script, plugin or origin.</summary>
    public const string CapturedPagePolicy = "sandbox; default-src 'none'; img-src data:; style-src 'unsafe-inline'";

    public static void AddProtection(this IServiceCollection services, NarrativeOptions options)
    {
        services.Configure<Microsoft.AspNetCore.Server.Kestrel.Core.KestrelServerOptions>(k =>
        {
            k.Limits.MaxRequestBodySize = options.MaxBodyBytes;
            // A client that trickles its headers ties up a connection; Kestrel also drops bodies slower than 240 B/s.
            k.Limits.RequestHeadersTimeout = TimeSpan.FromSeconds(10);
        });
        services.AddRateLimiter(r =>
        {
            r.OnRejected = async (ctx, ct) =>
            {
                var retry = ctx.Lease.TryGetMetadata(MetadataName.RetryAfter, out var after) ? Math.Max(1, (int)Math.Ceiling(after.TotalSeconds)) : 1;
                ctx.HttpContext.Response.Headers.RetryAfter = retry.ToString(System.Globalization.CultureInfo.InvariantCulture);
                await Problems.Status(429, "Too many requests", $"This key (or client) sends more than {options.RateLimit} requests a second; retry after {retry} s.")
                    .ExecuteAsync(ctx.HttpContext);
            };
            r.GlobalLimiter = PartitionedRateLimiter.Create<HttpContext, string>(http =>
                options.RateLimit == 0 || http.Request.Path.StartsWithSegments("/health")
                    ? RateLimitPartition.GetNoLimiter("none")
                    : RateLimitPartition.GetTokenBucketLimiter(PartitionOf(http), _ => new TokenBucketRateLimiterOptions
                    {
                        TokenLimit = options.RateLimit,
                        TokensPerPeriod = options.RateLimit,
                        ReplenishmentPeriod = TimeSpan.FromSeconds(1),
                        QueueLimit = 0,
                        AutoReplenishment = true,
                    }));
        });
    }

    public static void UseProtection(this WebApplication app, NarrativeOptions options)
    {
        app.Use(async (http, next) =>
        {
            var h = http.Response.Headers;
            h.XContentTypeOptions = "nosniff";
            h.XFrameOptions = "DENY";
            h["Referrer-Policy"] = "no-referrer";
            h["Cross-Origin-Opener-Policy"] = "same-origin";
            h.ContentSecurityPolicy = http.Request.Path.StartsWithSegments("/api/captures") ? CapturedPagePolicy : PagePolicy;
            if (http.Request.ContentLength > options.MaxBodyBytes)
            {
                await Problems.Status(413, "Request body too large", $"Bodies are limited to {options.MaxBodyBytes} bytes.").ExecuteAsync(http);
                return;
            }
            await next();
        });
        app.UseRateLimiter();
    }

    /// <summary>Per API key (by its hash, so no key sits in the limiter's table), else per client address.</summary>
    private static string PartitionOf(HttpContext http) =>
        http.Request.Headers[ApiKeys.Header].ToString() is { Length: > 0 } key
            ? "key:" + Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(key)))
            : "ip:" + http.Connection.RemoteIpAddress;
}
