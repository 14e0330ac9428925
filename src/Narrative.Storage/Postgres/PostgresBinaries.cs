using System.Diagnostics;

namespace Narrative.Storage.Postgres;

/// <summary>Finds initdb/pg_ctl and runs them, as the postgres user when this process is root.</summary>
internal sealed class PostgresBinaries
{
    private readonly string _dir;
    private readonly bool _asPostgresUser;

    private PostgresBinaries(string dir, bool asPostgresUser)
    {
        _dir = dir;
        _asPostgresUser = asPostgresUser;
    }

    public string Path(string tool) => System.IO.Path.Combine(_dir, tool);

    public static PostgresBinaries Find()
    {
        var dir = Environment.GetEnvironmentVariable("PG_BIN") is { Length: > 0 } env && File.Exists(System.IO.Path.Combine(env, "initdb"))
            ? env
            : FromDebianLayout() ?? FromPgConfig()
              ?? throw new InvalidOperationException(
                  "PostgreSQL server binaries not found. Set PG_BIN, install them (apt-get install -y postgresql), or set NARRATIVE_DB to use an external server.");
        return new PostgresBinaries(dir, Environment.UserName == "root");
    }

    /// <summary>Makes the data folder usable by the server's user.</summary>
    public void HandOver(string dataDir)
    {
        if (!_asPostgresUser) return;
        RunSync("chown", ["-R", "postgres:postgres", dataDir]);
        RunSync("chmod", ["700", dataDir]);
    }

    /// <param name="environment">Variables to set for the tool and what it starts (runuser passes them on).</param>
    public async Task RunAsync(string tool, IReadOnlyList<string> args, CancellationToken ct, IReadOnlyDictionary<string, string>? environment = null)
    {
        var info = Info(Path(tool), args);
        if (environment is not null)
            foreach (var (name, value) in environment) info.Environment[name] = value;
        using var p = Process.Start(info) ?? throw new InvalidOperationException($"Could not start {tool}");
        var stdout = p.StandardOutput.ReadToEndAsync(ct);
        var stderr = p.StandardError.ReadToEndAsync(ct);
        await p.WaitForExitAsync(ct);
        if (p.ExitCode != 0)
            throw new InvalidOperationException($"{tool} exited with {p.ExitCode}: {(await stderr).Trim()} {(await stdout).Trim()}");
    }

    public Process StartDetached(string program, IReadOnlyList<string> args)
    {
        // Output is redirected and never read, so the child holds no handle on our console (test runners wait for those).
        var info = Info(program, args);
        return Process.Start(info) ?? throw new InvalidOperationException($"Could not start {program}");
    }

    private ProcessStartInfo Info(string program, IReadOnlyList<string> args)
    {
        var info = new ProcessStartInfo
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        if (_asPostgresUser)
        {
            info.FileName = "runuser";
            foreach (var a in (string[])["-u", "postgres", "--", program]) info.ArgumentList.Add(a);
        }
        else
        {
            info.FileName = program;
        }
        foreach (var a in args) info.ArgumentList.Add(a);
        return info;
    }

    private static void RunSync(string program, IReadOnlyList<string> args)
    {
        var info = new ProcessStartInfo(program) { UseShellExecute = false };
        foreach (var a in args) info.ArgumentList.Add(a);
        using var p = Process.Start(info)!;
        p.WaitForExit();
        if (p.ExitCode != 0) throw new InvalidOperationException($"{program} {string.Join(' ', args)} exited with {p.ExitCode}");
    }

    private static string? FromDebianLayout()
    {
        const string root = "/usr/lib/postgresql";
        if (!Directory.Exists(root)) return null;
        return Directory.GetDirectories(root)
            .Select(d => (Dir: System.IO.Path.Combine(d, "bin"), Version: int.TryParse(System.IO.Path.GetFileName(d), out var v) ? v : 0))
            .Where(x => File.Exists(System.IO.Path.Combine(x.Dir, "initdb")))
            .OrderByDescending(x => x.Version)
            .Select(x => x.Dir)
            .FirstOrDefault();
    }

    private static string? FromPgConfig()
    {
        try
        {
            using var p = Process.Start(new ProcessStartInfo("pg_config", "--bindir") { RedirectStandardOutput = true, UseShellExecute = false });
            if (p is null) return null;
            var dir = p.StandardOutput.ReadToEnd().Trim();
            p.WaitForExit();
            return p.ExitCode == 0 && File.Exists(System.IO.Path.Combine(dir, "initdb")) ? dir : null;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return null;
        }
    }
}
