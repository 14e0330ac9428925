using Narrative.Analysis;
using Narrative.Analysis.Queries;
using Narrative.Storage.Replication;
using Npgsql;

namespace Narrative.Api.Hosting;

/// <summary>
/// The database a point-in-time query is served from, bound per request: a read replica when any is configured, the
/// primary otherwise; with an <c>X-Consistent-After</c> token, only a database that has reached it (see
/// <see cref="ReadRouter"/>). The answer says where it was served (<c>X-Served-By</c>), and <c>X-Consistency: behind</c>
/// when no database reached the token within the bounded wait.
/// </summary>
public sealed class ReadSide(ReadTarget target)
{
    public const string Header = "X-Consistent-After";
    public const string ServedByHeader = "X-Served-By";
    internal const string InvalidKey = "narrative.invalid-consistency-token";

    public AnalysisQueries Queries => target.Queries;
    public NpgsqlDataSource DataSource => target.DataSource;

    public static async ValueTask<ReadSide?> BindAsync(HttpContext http)
    {
        var router = http.RequestServices.GetRequiredService<NarrativeServices>().Reads;
        ConsistencyToken? token = null;
        if (http.Request.Headers[Header].ToString() is { Length: > 0 } given)
        {
            if (!ConsistencyToken.TryParse(given, out var parsed))
            {
                http.Items[InvalidKey] = true;
                return new ReadSide(router.Primary);
            }
            token = parsed;
        }
        var choice = await router.ChooseAsync(token, http.RequestAborted);
        http.Response.Headers[ServedByHeader] = choice.Target.Name;
        if (!choice.Consistent) http.Response.Headers["X-Consistency"] = "behind";
        return new ReadSide(choice.Target);
    }
}

/// <summary>Read-your-writes over HTTP: writes answer with a token, reads may present it.</summary>
public static class Consistency
{
    public const string TokenHeader = "X-Consistency-Token";
    public const string PositionHeader = "X-Log-Position";

    /// <summary>Answers 400 for a malformed X-Consistent-After before the query runs.</summary>
    public static TBuilder RejectBadTokens<TBuilder>(this TBuilder builder) where TBuilder : IEndpointConventionBuilder =>
        builder.AddEndpointFilter(async (ctx, next) => ctx.HttpContext.Items.ContainsKey(ReadSide.InvalidKey)
            ? Problems.BadQuery(ReadSide.Header, "invalid_consistency_token",
                $"{ReadSide.Header} takes the X-Consistency-Token a write answered with (LSN:position, e.g. 0/3000148:812).")
            : await next(ctx));

    /// <summary>Sets the write's consistency token and log position on the answer, and returns the token for the body.</summary>
    public static async Task<ConsistencyToken> StampAsync(HttpContext http, NarrativeServices s, string stream, CancellationToken ct)
    {
        var token = await s.Reads.TokenAsync(stream, ct);
        http.Response.Headers[TokenHeader] = token.ToString();
        http.Response.Headers[PositionHeader] = token.Position.ToString(System.Globalization.CultureInfo.InvariantCulture);
        return token;
    }
}
