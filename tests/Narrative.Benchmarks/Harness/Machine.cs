using System.Runtime.InteropServices;

namespace Narrative.Benchmarks.Harness;

public sealed record Machine(int Cores, string Os, string Dotnet, string Postgres, string Database, string Mode, DateTimeOffset StartedAt)
{
    public static async Task<Machine> DescribeAsync(BenchContext ctx, string database, CancellationToken ct) => new(
        Environment.ProcessorCount,
        RuntimeInformation.OSDescription,
        RuntimeInformation.FrameworkDescription,
        await ctx.ScalarAsync<string>("select version()", ct),
        database,
        ctx.Options.Quick ? $"quick, {ctx.Options.Repetitions} repetition(s)" : $"full, {ctx.Options.Repetitions} repetition(s)",
        DateTimeOffset.UtcNow);

    public override string ToString() => $"""
        - cores: {Cores}
        - OS: {Os}
        - .NET: {Dotnet}
        - PostgreSQL: {Postgres}
        - database: {Database}
        - mode: {Mode}
        """;
}
