using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;
using Scalar.AspNetCore;

namespace Narrative.Api.Hosting;

/// <summary>
/// The OpenAPI document at /openapi/v1.json and the API reference at /docs. Routes describe themselves
/// (<c>WithName</c>, <c>WithSummary</c>, <c>Produces</c>, <see cref="Problems.ProducesProblems"/>); this adds what is
/// the same for all of them: the document's info, servers and tags, the X-Api-Key scheme on the routes that call
/// <see cref="ApiKeys.RequireKey{TBuilder}"/>, and an explicit empty requirement on the open ones.
/// </summary>
public static class NarrativeOpenApi
{
    public const string DocumentPath = "/openapi/v1.json";
    public const string SecurityScheme = "ApiKey";

    /// <summary>Tags in the order a reader meets them, each with the sentence the reference shows.</summary>
    public static readonly IReadOnlyList<(string Name, string Description)> Tags =
    [
        ("Analysis", "Point-in-time reads of a topic or claim. asOf is world time (what had been published), knownAt system time (what the system had recorded); both default to now, and a date alone means the end of that day, UTC."),
        ("Ingest", "Writes of documents, corrections, topics, sources and context periods (ingest key). Each write is one transaction; a repeated write is 200 and writes nothing."),
        ("Method", "ACH's method beyond the arithmetic: revisions of a topic's hypothesis set and signposts (Heuer's step 8) with their status at (asOf, knownAt). Writes need the ingest key."),
        ("Analysts", "Several analysts on one topic: analysts and their keys (admin key), each analyst's own ratings (analyst key), and who they are."),
        ("Capture", "Raw web pages kept byte for byte, what the extractor made of them, and draft documents whose quotes can be verified."),
        ("Events", "The raw event log, paged by position, for auditors and tools."),
        ("Alerts", "Alerts raised by the reactions: a server-sent event stream and the recent ones as a list."),
        ("Admin", "Operator routes (admin key): projection status and rebuilds, the topic cache, Wolverine's dead letters."),
        ("Health", "Liveness and readiness probes."),
    ];

    public static IServiceCollection AddNarrativeOpenApi(this IServiceCollection services) =>
        services.AddOpenApi(o =>
        {
            o.AddDocumentTransformer((document, context, _) =>
            {
                Describe(document);
                return Task.CompletedTask;
            });
            o.AddOperationTransformer((operation, context, _) =>
            {
                Secure(operation, context);
                DescribeParameters(operation);
                if (operation.Responses is { } responses)
                {
                    var sorted = new OpenApiResponses();
                    foreach (var (status, response) in responses.OrderBy(r => r.Key, StringComparer.Ordinal)) sorted.Add(status, response);
                    operation.Responses = sorted;
                }
                return Task.CompletedTask;
            });
        });

    /// <summary>The query parameters that many routes share mean the same everywhere.</summary>
    private static readonly Dictionary<string, string> CommonParameters = new(StringComparer.Ordinal)
    {
        ["asOf"] = "World time: what had been published by then. ISO 8601 date (the end of that day, UTC) or date-time; default now.",
        ["knownAt"] = "System time: what the system had recorded by then. ISO 8601 date (the end of that day, UTC) or date-time; default now.",
        ["knownFrom"] = "Start of a system-time range (ISO 8601); with knownTo instead of from and to.",
        ["knownTo"] = "End of a system-time range (ISO 8601); default now.",
        ["from"] = "First world date of the range (yyyy-MM-dd).",
        ["to"] = "Last world date of the range (yyyy-MM-dd), inclusive.",
        ["step"] = "'day' or 'week' (default).",
        ["window"] = "Days before a decision that count as 'just before' (0 to the maximum; default 14).",
        ["after"] = "Return what comes after this position or id (exclusive); default 0.",
        ["limit"] = "Page size.",
        ["topic"] = "Topic id (a slug).",
        ["claim"] = "Claim key (a slug).",
    };

    private static void DescribeParameters(OpenApiOperation operation)
    {
        foreach (var p in operation.Parameters ?? [])
            if (p is OpenApiParameter parameter && string.IsNullOrEmpty(parameter.Description) && parameter.Name is { } name
                && CommonParameters.TryGetValue(name, out var description))
                parameter.Description = description;
    }

    private static void Describe(OpenApiDocument document)
    {
        document.Info = new OpenApiInfo
        {
            Title = "Narrative API",
            Version = "v1",
            Description = "Event-sourced narrative analysis: contested claims followed over time. Every ingested report, " +
                "assessment, rebuttal, statement and context period is an immutable event; the answers are point-in-time views " +
                "of that log, at a world time (asOf) and a system time (knownAt). Errors are application/problem+json. " +
                "The rules behind each answer are in docs/design.md of the repository.",
            License = new OpenApiLicense { Name = "Proprietary", Identifier = "LicenseRef-Proprietary" },
        };
        // Relative: the server that served this document, whatever its address (./ops/run's default is http://127.0.0.1:5080).
        document.Servers = [new OpenApiServer { Url = "/", Description = "The server that serves this document" }];
        document.Tags = new HashSet<OpenApiTag>(Tags.Select(t => new OpenApiTag { Name = t.Name, Description = t.Description }));
        document.Components ??= new OpenApiComponents();
        document.Components.SecuritySchemes ??= new Dictionary<string, IOpenApiSecurityScheme>();
        document.Components.SecuritySchemes[SecurityScheme] = new OpenApiSecurityScheme
        {
            Type = SecuritySchemeType.ApiKey,
            In = ParameterLocation.Header,
            Name = ApiKeys.Header,
            Description = "The ingest key for writes, the admin key for /api/admin routes (NARRATIVE_INGEST_KEY, NARRATIVE_ADMIN_KEY; " +
                "./ops/run keeps generated ones in .narrative/ingest.key and .narrative/admin.key). No or an unknown key: 401; the other role's key: 403.",
        };
    }

    /// <summary>Routes with <see cref="ApiKeyRequirement"/> need the key; every other route says it needs nothing.</summary>
    private static void Secure(OpenApiOperation operation, OpenApiOperationTransformerContext context)
    {
        var requirement = context.Description.ActionDescriptor.EndpointMetadata.OfType<ApiKeyRequirement>().LastOrDefault();
        if (requirement is null)
        {
            operation.Security = [new OpenApiSecurityRequirement()];
            return;
        }
        operation.Security =
        [
            new OpenApiSecurityRequirement { [new OpenApiSecuritySchemeReference(SecurityScheme, context.Document)] = [] },
        ];
        var role = requirement.Role.ToString().ToLowerInvariant();
        operation.Description = string.IsNullOrEmpty(operation.Description)
            ? $"Needs the {role} key in {ApiKeys.Header}."
            : $"{operation.Description}\n\nNeeds the {role} key in {ApiKeys.Header}.";
    }

    /// <summary>
    /// Scalar's reference at /docs, over the document above. Scalar.AspNetCore serves its script from the assembly;
    /// the default fonts, telemetry, the AI agent and MCP would reach the internet, so they are off: the page works offline.
    /// </summary>
    public static IEndpointConventionBuilder MapApiReference(this IEndpointRouteBuilder app) =>
        app.MapScalarApiReference("/docs", o => o
            .WithTitle("Narrative API reference")
            .WithOpenApiRoutePattern("/openapi/{documentName}.json")
            .DisableDefaultFonts()
            .DisableTelemetry()
            .DisableAgent()
            .DisableMcp());
}
