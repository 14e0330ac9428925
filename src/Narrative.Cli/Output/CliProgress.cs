using System.Globalization;
using Spectre.Console;

namespace Narrative.Cli.Output;

/// <summary>
/// Progress of a long job (ingest, rebuild, verify, capture of a folder), on standard error so that standard output
/// keeps only the answer: a live bar in a terminal, and one plain line per step when redirected, e.g.
/// <c>ingest: 3/95 Source nyt created</c>. Jobs counted in events print a line per tenth instead of per event.
/// </summary>
public sealed class CliProgress
{
    private readonly string _job;
    private readonly bool _perTenth;
    private readonly object _gate = new();
    private ProgressTask? _bar;
    private long _total;
    private long _lastTenth = -1;

    private CliProgress(string job, long total, bool perTenth)
    {
        _job = job;
        _total = total;
        _perTenth = perTenth;
    }

    /// <summary>
    /// Runs <paramref name="body"/> with a progress display for <paramref name="job"/>. <paramref name="perTenth"/>:
    /// the steps are many and small (events), so a redirected display prints a line per tenth of the total.
    /// </summary>
    public static async Task<T> RunAsync<T>(string job, long total, bool perTenth, Func<CliProgress, Task<T>> body)
    {
        var progress = new CliProgress(job, total, perTenth);
        var console = CliConsole.Error;
        if (!CliConsole.IsTerminal(console))
        {
            // Counted in events, the first line would otherwise wait for a tenth of them: say that it started.
            if (perTenth && total > 0) progress.Report(0);
            else if (perTenth) progress.Phase("started");
            return await body(progress);
        }
        T result = default!;
        await console.Progress().AutoClear(false)
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn())
            .StartAsync(async ctx =>
            {
                progress._bar = ctx.AddTask(Markup.Escape(job), maxValue: Math.Max(1, total));
                result = await body(progress);
                progress._bar.Value = progress._bar.MaxValue;
                progress._bar.StopTask();
            });
        return result;
    }

    /// <summary>An <see cref="IProgress{T}"/> that reports at once, on the caller's thread (<see cref="Progress{T}"/> posts later, out of order).</summary>
    public static IProgress<T> Inline<T>(Action<T> report) => new InlineProgress<T>(report);

    private sealed class InlineProgress<T>(Action<T> report) : IProgress<T>
    {
        public void Report(T value) => report(value);
    }

    /// <summary>The total, once known (a rebuild counts its events after it starts).</summary>
    public void SetTotal(long total)
    {
        lock (_gate)
        {
            _total = total;
            _bar?.MaxValue = Math.Max(1, total);
        }
    }

    /// <summary><paramref name="done"/> of the total are done; <paramref name="what"/> names the last step.</summary>
    public void Report(long done, string? what = null)
    {
        lock (_gate)
        {
            if (_bar is not null)
            {
                _bar.Value = done;
                _bar.Description = Markup.Escape(what is null ? _job : $"{_job} {what}");
                return;
            }
            if (_perTenth)
            {
                if (_total <= 0) return;
                var tenth = Math.Min(10, done * 10 / _total);
                if (tenth == _lastTenth) return;
                _lastTenth = tenth;
            }
            var line = string.Create(CultureInfo.InvariantCulture, $"{_job}: {done}/{_total}{(_perTenth ? " events" : "")}{(what is null ? "" : " " + what)}");
            CliConsole.Error.Profile.Out.Writer.WriteLine(line);
        }
    }

    /// <summary>A phase without a count (projecting, swapping in): the bar's label, or one line.</summary>
    public void Phase(string what)
    {
        lock (_gate)
        {
            if (_bar is not null) _bar.Description = Markup.Escape($"{_job} {what}");
            else CliConsole.Error.Profile.Out.Writer.WriteLine($"{_job}: {what}");
        }
    }
}
