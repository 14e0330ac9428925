using System.Diagnostics;
using JasperFx.Events;
using JasperFx.Events.Projections;
using Marten;
using Marten.Events.Projections;
using Narrative.Testing;
using Xunit.Abstractions;

namespace Narrative.Storage.Tests;

/// <summary>
/// The ordering guarantee Narrative relies on from Marten's async daemon: a position taken by a transaction that is
/// still open is waited for (never skipped), and a position whose transaction rolled back is skipped and recorded.
/// </summary>
[Collection(PostgresCollection.Name)]
public sealed class DaemonGapTests(PostgresFixture pg, ITestOutputHelper output) : StoreTest(pg)
{
    private const string Projected = "public.projected_seqs";

    /// <summary>Records each event's position as the daemon hands it over, in the daemon's own transaction.</summary>
    private sealed class SeqProjection : IProjection
    {
        public Task ApplyAsync(IDocumentOperations operations, IReadOnlyList<IEvent> events, CancellationToken cancellation)
        {
            foreach (var e in events) operations.QueueSqlCommand($"insert into {Projected} (seq) values (?)", e.Sequence);
            return Task.CompletedTask;
        }
    }

    protected override void Configure(StoreOptions options) =>
        options.Projections.Add(new SeqProjection(), ProjectionLifecycle.Async, "seqs");

    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        await using var cmd = Db.CreateCommand($"create table {Projected} (seq bigint primary key)");
        await cmd.ExecuteNonQueryAsync();
    }

    [Fact]
    public async Task the_daemon_waits_for_an_append_held_open_and_skips_only_a_rolled_back_gap()
    {
        var daemon = await Store.BuildProjectionDaemonAsync();
        await daemon.StartAllAsync();
        try
        {
            var before = await Log.AppendAsync("before", ExpectedVersion.Any, [TestEvents.Note("before")], default);
            await WaitForProjectedAsync([before.FirstPosition!.Value], TimeSpan.FromSeconds(30));

            // The held append takes its position now and keeps its transaction open.
            var held = Stopwatch.StartNew();
            await using var heldConn = await Db.OpenConnectionAsync();
            await using var heldTx = await heldConn.BeginTransactionAsync();
            var heldResult = await Log.AppendAsync(heldConn, heldTx, "held", ExpectedVersion.Any, [TestEvents.Note("held")], default);

            var afterHeld = await Log.AppendAsync("after-1", ExpectedVersion.Any, [TestEvents.Note("after 1")], default);

            long rolledBackPosition;
            await using (var rbConn = await Db.OpenConnectionAsync())
            await using (var rbTx = await rbConn.BeginTransactionAsync())
            {
                var rolledBack = await Log.AppendAsync(rbConn, rbTx, "rolled-back", ExpectedVersion.Any, [TestEvents.Note("never")], default);
                rolledBackPosition = rolledBack.FirstPosition!.Value;
                await rbTx.RollbackAsync();
            }

            var afterRollback = await Log.AppendAsync("after-2", ExpectedVersion.Any, [TestEvents.Note("after 2")], default);
            long[] committedAfter = [afterHeld.FirstPosition!.Value, afterRollback.FirstPosition!.Value];
            Assert.True(heldResult.FirstPosition < committedAfter.Min() && committedAfter.Min() < rolledBackPosition && rolledBackPosition < committedAfter.Max(),
                $"positions not in the intended order: held {heldResult.FirstPosition}, rolled back {rolledBackPosition}, committed {string.Join(",", committedAfter)}");

            // Longer than the daemon's stale-gap threshold: a daemon skipping by age alone would have moved on by now.
            var rest = TimeSpan.FromSeconds(11) - held.Elapsed;
            // On a loaded machine the appends above may already have taken that long.
            if (rest > TimeSpan.Zero) await Task.Delay(rest);
            var whileHeld = await ProjectedAsync();
            output.WriteLine($"held open {held.Elapsed.TotalSeconds:0.0} s; projected while held: {string.Join(",", whileHeld)}");
            Assert.Equal([before.FirstPosition!.Value], whileHeld);

            await heldTx.CommitAsync();

            long[] committed = [before.FirstPosition!.Value, heldResult.FirstPosition!.Value, .. committedAfter];
            await WaitForProjectedAsync(committed, TimeSpan.FromSeconds(60));
            Assert.Equal(committed.Order(), await ProjectedAsync());
            Assert.DoesNotContain(rolledBackPosition, await ProjectedAsync());

            var skips = await SkipsAsync();
            output.WriteLine($"mt_high_water_skips: {string.Join("; ", skips.Select(s => $"{s.Start}..{s.End}"))}");
            Assert.Contains(skips, s => s.Start <= rolledBackPosition && rolledBackPosition <= s.End);
            // A skip row spans from the high-water mark the daemon held before it to the one after, so it may also cover
            // events it went on to project (a run here recorded 1..5 with 2 and 3 projected). That the held event was not
            // lost is shown above: it is among the projected positions.
        }
        finally
        {
            await daemon.StopAllAsync();
            daemon.Dispose();
        }
    }

    private async Task<long[]> ProjectedAsync()
    {
        var list = new List<long>();
        await using var cmd = Db.CreateCommand($"select seq from {Projected} order by seq");
        await using var r = await cmd.ExecuteReaderAsync();
        while (await r.ReadAsync()) list.Add(r.GetInt64(0));
        return [.. list];
    }

    private async Task WaitForProjectedAsync(IReadOnlyCollection<long> expected, TimeSpan timeout)
    {
        var until = Stopwatch.StartNew();
        while (true)
        {
            var projected = await ProjectedAsync();
            if (expected.All(projected.Contains)) return;
            if (until.Elapsed > timeout)
                throw new TimeoutException($"Projected {string.Join(",", projected)} after {timeout}, expected {string.Join(",", expected)}");
            await Task.Delay(50);
        }
    }

    private async Task<List<(long Start, long End)>> SkipsAsync()
    {
        var list = new List<(long, long)>();
        await using var cmd = Db.CreateCommand($"select starting_sequence, ending_sequence from {EventStoreSetup.Schema}.mt_high_water_skips order by starting_sequence");
        await using var r = await cmd.ExecuteReaderAsync();
        while (await r.ReadAsync()) list.Add((r.GetInt64(0), r.GetInt64(1)));
        return list;
    }
}
