using System.Net.Sockets;
using Narrative.Analysis;
using Narrative.Analysis.ReadModel;
using Npgsql;

namespace Narrative.Reliability;

/// <summary>What every scenario checks afterwards, on the database it ran against.</summary>
internal sealed class Checks(NpgsqlDataSource db, NarrativeServices services)
{
    /// <summary>The outcome of the checks, and whether they passed.</summary>
    public sealed record Outcome(long Found, long RefusedWritten, int VerifyFailures, bool ItemsOnce, bool RebuildEqual, string RebuildDetail)
    {
        /// <summary>Also at least one acknowledged write: with none (every write refused), the checks would prove nothing.</summary>
        public bool Passed(long acked) => acked > 0 && Found == acked && RefusedWritten == 0 && VerifyFailures == 0 && ItemsOnce && RebuildEqual;

        public string Detail =>
            $"verify: {(VerifyFailures == 0 ? "passed" : $"{VerifyFailures} failures")}; " +
            $"{(ItemsOnce ? "each item once in the read model" : "an item is in the read model more than once")}; {RebuildDetail}";
    }

    /// <summary>
    /// Acknowledged documents in the log, refused ones not; the hash chain; each item once; the read model equals a
    /// rebuild. The database may just have come back from a fault, so each check is retried on a connection error.
    /// </summary>
    public async Task<Outcome> RunAsync(IReadOnlyCollection<string> acked, IReadOnlyCollection<string> refused)
    {
        var found = await RetryAsync(() => CountStreamsAsync(acked));
        var refusedWritten = await RetryAsync(() => CountStreamsAsync(refused));
        var failures = await RetryAsync(() => services.Log.VerifyAsync(default));
        await RetryAsync(async () =>
        {
            await services.WaitForProjectionsAsync(TimeSpan.FromMinutes(2), default);
            return true;
        });
        var itemsOnce = await RetryAsync(async () =>
        {
            await using var cmd = db.CreateCommand($"select count(*) = count(distinct item_id) from {AnalysisProjection.LiveSchema}.items");
            return (bool)(await cmd.ExecuteScalarAsync())!;
        });
        var (equal, detail) = await RetryAsync(ReadModelEqualsRebuildAsync);
        return new Outcome(found, refusedWritten, failures.Count, itemsOnce, equal, detail);
    }

    private async Task<long> CountStreamsAsync(IReadOnlyCollection<string> ids)
    {
        await using var cmd = db.CreateCommand("select count(*) from narrative.mt_streams where id = any($1)");
        cmd.Parameters.Add(new NpgsqlParameter { Value = ids.Select(x => $"document-{x}").ToArray() });
        return (long)(await cmd.ExecuteScalarAsync())!;
    }

    /// <summary>The read model once caught up, then after a rebuild from position 0: the same rows.</summary>
    private async Task<(bool Equal, string Detail)> ReadModelEqualsRebuildAsync()
    {
        await services.WaitForProjectionsAsync(TimeSpan.FromMinutes(2), default);
        var before = await ChecksumAsync();
        await services.RebuildAsync(services.Projection, null, default);
        await services.WaitForProjectionsAsync(TimeSpan.FromMinutes(2), default);
        var after = await ChecksumAsync();
        return (before == after, before == after ? "read model equals a rebuild" : $"read model differs from a rebuild ({before} vs {after})");
    }

    private async Task<string> ChecksumAsync()
    {
        var parts = new List<string>();
        foreach (var table in AnalysisProjection.Tables)
        {
            await using var cmd = db.CreateCommand($"select count(*) || ':' || coalesce(md5(string_agg(t::text, '|' order by t::text)), '') from {AnalysisProjection.LiveSchema}.{table} t");
            parts.Add($"{table}={await cmd.ExecuteScalarAsync()}");
        }
        return string.Join(",", parts);
    }

    /// <summary>
    /// Runs one of the harness's own checks, again after a connection error (for up to a minute): after a restart or
    /// terminated backends the pools still hold dead connections, which are dropped before each retry.
    /// </summary>
    public async Task<T> RetryAsync<T>(Func<Task<T>> check)
    {
        var until = DateTime.UtcNow + TimeSpan.FromMinutes(1);
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return await check();
            }
            catch (Exception ex) when (IsConnectionError(ex) && DateTime.UtcNow < until)
            {
                db.Clear();
                services.DataSource.Clear();
                await Task.Delay(TimeSpan.FromMilliseconds(Math.Min(2000, 100 * attempt)));
            }
        }
    }

    /// <summary>The server went away or is not accepting connections yet (57P01 admin shutdown, 57P03 starting up, 08xxx).</summary>
    public static bool IsConnectionError(Exception? ex) => ex switch
    {
        null => false,
        PostgresException pg => pg.SqlState.StartsWith("57P", StringComparison.Ordinal) || pg.SqlState.StartsWith("08", StringComparison.Ordinal),
        NpgsqlException or SocketException or IOException => true,
        AggregateException a => a.InnerExceptions.Any(IsConnectionError),
        _ => IsConnectionError(ex.InnerException),
    };
}
