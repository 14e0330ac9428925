using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Serilog;

namespace Narrative.Storage.Postgres;

public sealed record EmbeddedPostgresOptions(string DataDirectory)
{
    /// <summary>0 picks a free port on 127.0.0.1.</summary>
    public int Port { get; init; }

    /// <summary>Throwaway clusters (tests, benchmarks) trade durability for speed and are deleted on dispose.</summary>
    public bool Ephemeral { get; init; }

    public int MaxConnections { get; init; } = 200;
}

/// <summary>
/// Starts a private PostgreSQL server from the machine's binaries: initdb into a data folder, listen on 127.0.0.1
/// on a free port, socket inside the data folder. Under root the server runs as the <c>postgres</c> user,
/// because initdb refuses root. A watchdog stops the server if this process dies without disposing.
/// </summary>
public sealed class EmbeddedPostgres : IAsyncDisposable
{
    private readonly PostgresBinaries _bin;
    private readonly EmbeddedPostgresOptions _options;
    private Process? _watchdog;
    private bool _stopped;
    private readonly bool _attached;

    private EmbeddedPostgres(PostgresBinaries bin, EmbeddedPostgresOptions options, int port, bool attached = false)
    {
        _bin = bin;
        _options = options;
        Port = port;
        _attached = attached;
    }

    /// <summary>True when another process of ours already ran the server on this folder and we only connected to it.</summary>
    public bool Attached => _attached;

    public int Port { get; }

    /// <summary>The folder of the server binaries in use (initdb, pg_ctl, postgres).</summary>
    public string BinDirectory => System.IO.Path.GetDirectoryName(_bin.Path("pg_ctl"))!;

    public string DataDirectory => _options.DataDirectory;

    public string ConnectionString(string database = "postgres") =>
        $"Host=127.0.0.1;Port={Port};Username=postgres;Database={database};Pooling=true;Maximum Pool Size=50;Timeout=30;Command Timeout=120";

    public static async Task<EmbeddedPostgres> StartAsync(EmbeddedPostgresOptions options, CancellationToken ct)
    {
        var bin = PostgresBinaries.Find();
        var dir = Path.GetFullPath(options.DataDirectory);
        options = options with { DataDirectory = dir };
        Directory.CreateDirectory(dir);
        bin.HandOver(dir);

        if (!File.Exists(Path.Combine(dir, "PG_VERSION")))
        {
            Log.Information("Initialising PostgreSQL cluster in {DataDirectory}", dir);
            var args = new List<string> { "-D", dir, "-U", "postgres", "-A", "trust", "-E", "UTF8", "--locale=C" };
            if (options.Ephemeral) args.Add("--no-sync");
            await bin.RunAsync("initdb", args, ct);
        }

        if (!options.Ephemeral && RunningServerPort(dir) is { } runningPort)
        {
            // The API (or another CLI) is serving this folder: share its server, never stop it.
            Log.Information("Using the PostgreSQL server already running on {DataDirectory} (port {Port})", dir, runningPort);
            return new EmbeddedPostgres(bin, options, runningPort, attached: true);
        }
        await StopStaleServerAsync(bin, dir, ct);
        return await LaunchAsync(bin, options, "", ct);
    }

    /// <summary>
    /// Starts a streaming standby of <paramref name="primary"/>: <c>pg_basebackup -R</c> copies the primary's data into
    /// a new folder and writes <c>primary_conninfo</c> with <c>standby.signal</c>, then the server starts in hot standby,
    /// replaying the primary's WAL as it streams in and answering read-only queries. initdb's trust rules already admit
    /// replication connections from 127.0.0.1.
    /// </summary>
    public static async Task<EmbeddedPostgres> StartStandbyAsync(EmbeddedPostgres primary, EmbeddedPostgresOptions options, CancellationToken ct)
    {
        var bin = PostgresBinaries.Find();
        var dir = Path.GetFullPath(options.DataDirectory);
        options = options with { DataDirectory = dir };
        if (!File.Exists(Path.Combine(dir, "PG_VERSION")))
        {
            Directory.CreateDirectory(dir);
            bin.HandOver(dir);
            Log.Information("Copying the primary on port {Port} into standby folder {DataDirectory}", primary.Port, dir);
            var args = new List<string>
            {
                "-h", "127.0.0.1", "-p", primary.Port.ToString(System.Globalization.CultureInfo.InvariantCulture), "-U", "postgres",
                "-D", dir, "-R", "-X", "stream", "--checkpoint=fast",
            };
            if (options.Ephemeral) args.Add("--no-sync");
            await bin.RunAsync("pg_basebackup", args, ct);
        }
        await StopStaleServerAsync(bin, dir, ct);
        // Feedback keeps the primary's vacuum from removing rows a long replica query still reads (no query cancelled
        // for a recovery conflict); the standby's own settings otherwise mirror the primary's.
        return await LaunchAsync(bin, options, " -c hot_standby=on -c hot_standby_feedback=on", ct);
    }

    private static async Task<EmbeddedPostgres> LaunchAsync(PostgresBinaries bin, EmbeddedPostgresOptions options, string extra, CancellationToken ct)
    {
        var dir = options.DataDirectory;
        Exception? last = null;
        for (var attempt = 0; attempt < 3; attempt++)
        {
            var port = options.Port != 0 ? options.Port : FreePort();
            // random_page_cost 1.1: the data sits on local SSD or in memory, so index lookups are cheap (the default 4 assumes spinning disks).
            var settings = $"-c listen_addresses=127.0.0.1 -p {port} -k {dir} -c max_connections={options.MaxConnections} -c random_page_cost=1.1";
            // Marten's daemon never skips a gap in seq_id while a transaction that could still fill it is alive, so a
            // session left "idle in transaction" (a crashed or hung client) would stall every projection for good. The
            // server ends such sessions after a minute, well above any transaction we hold open on purpose (10+ s in tests).
            settings += " -c idle_in_transaction_session_timeout=60s" + extra;
            if (options.Ephemeral) settings += " -c fsync=off -c synchronous_commit=off -c full_page_writes=off";
            try
            {
                await bin.RunAsync("pg_ctl", ["start", "-D", dir, "-w", "-t", "60", "-l", Path.Combine(dir, "server.log"), "-o", settings], ct,
                    ServerEnvironment());
                var pg = new EmbeddedPostgres(bin, options, port);
                pg.StartWatchdog();
                Log.Information("Embedded PostgreSQL listening on 127.0.0.1:{Port} with data in {DataDirectory}", port, dir);
                return pg;
            }
            catch (InvalidOperationException ex) when (options.Port == 0)
            {
                // Most likely another process took the free port between probe and bind.
                last = ex;
                Log.Warning(ex, "PostgreSQL failed to start on port {Port}, retrying", port);
            }
        }
        throw new InvalidOperationException($"PostgreSQL did not start; see {Path.Combine(dir, "server.log")}", last);
    }

    /// <summary>
    /// The server's environment: glibc's malloc asks for transparent huge pages for its large blocks (glibc 2.35 and
    /// later; older ones ignore the setting, as does a kernel with them off). A sort for an index build or a query
    /// fills hundreds of megabytes it has just allocated, and with 4 KB pages a third of its time went to page faults:
    /// the three item index builds of a rebuild take 2.1 s of CPU instead of 3.1 s on a million events.
    /// </summary>
    private static Dictionary<string, string> ServerEnvironment()
    {
        const string HugePages = "glibc.malloc.hugetlb=1";
        var tunables = Environment.GetEnvironmentVariable("GLIBC_TUNABLES");
        return new() { ["GLIBC_TUNABLES"] = string.IsNullOrEmpty(tunables) ? HugePages : $"{tunables}:{HugePages}" };
    }

    /// <summary>Creates a database if it does not exist and returns its connection string.</summary>
    public async Task<string> CreateDatabaseAsync(string name, CancellationToken ct)
    {
        await using var conn = new Npgsql.NpgsqlConnection(ConnectionString() + ";Pooling=false");
        await conn.OpenAsync(ct);
        await using var check = new Npgsql.NpgsqlCommand("select 1 from pg_database where datname = @n", conn);
        check.Parameters.AddWithValue("n", name);
        if (await check.ExecuteScalarAsync(ct) is null)
        {
            await using var create = new Npgsql.NpgsqlCommand($"create database \"{name.Replace("\"", "", StringComparison.Ordinal)}\"", conn);
            await create.ExecuteNonQueryAsync(ct);
        }
        return ConnectionString(name);
    }

    public async Task StopAsync(CancellationToken ct)
    {
        if (_stopped || _attached) return;
        _stopped = true;
        try
        {
            await _bin.RunAsync("pg_ctl", ["stop", "-D", DataDirectory, "-m", "fast", "-w", "-t", "60"], ct);
            Log.Information("Embedded PostgreSQL on port {Port} stopped", Port);
        }
        finally
        {
            try { _watchdog?.Kill(entireProcessTree: true); } catch (InvalidOperationException) { }
            _watchdog?.Dispose();
            if (_options.Ephemeral) TryDelete(DataDirectory);
        }
    }

    public async ValueTask DisposeAsync()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await StopAsync(cts.Token);
    }

    /// <summary>Restarts the server on the same port (used to prove that clients reconnect by themselves).</summary>
    public async Task RestartAsync(CancellationToken ct) =>
        await _bin.RunAsync("pg_ctl", ["restart", "-D", DataDirectory, "-m", "fast", "-w", "-t", "60"], ct);

    private void StartWatchdog()
    {
        // If this process dies (even by SIGKILL) the server must not outlive it.
        var self = Environment.ProcessId;
        var script = $"while [ -d /proc/{self} ]; do sleep 1; done; '{_bin.Path("pg_ctl")}' stop -D '{DataDirectory}' -m fast >/dev/null 2>&1";
        _watchdog = _bin.StartDetached("sh", ["-c", script]);
    }

    private static async Task StopStaleServerAsync(PostgresBinaries bin, string dir, CancellationToken ct)
    {
        var pidFile = Path.Combine(dir, "postmaster.pid");
        if (!File.Exists(pidFile)) return;
        var lines = await File.ReadAllLinesAsync(pidFile, ct);
        if (lines.Length > 0 && int.TryParse(lines[0], out var pid) && IsPostgres(pid))
        {
            Log.Warning("A PostgreSQL server (pid {Pid}) is still running on {DataDirectory}; stopping it first", pid, dir);
            await bin.RunAsync("pg_ctl", ["stop", "-D", dir, "-m", "fast", "-w", "-t", "60"], ct);
            return;
        }
        // The pid in the file is dead or belongs to something else: the file is stale.
        Log.Warning("Removing stale {PidFile}", pidFile);
        File.Delete(pidFile);
    }

    private static int? RunningServerPort(string dir)
    {
        var pidFile = Path.Combine(dir, "postmaster.pid");
        try
        {
            var lines = File.ReadAllLines(pidFile);
            return lines.Length > 3 && int.TryParse(lines[0], out var pid) && IsPostgres(pid) && int.TryParse(lines[3], out var port) ? port : null;
        }
        catch (IOException) { return null; }
        catch (UnauthorizedAccessException) { return null; }
    }

    private static bool IsPostgres(int pid)
    {
        try
        {
            return File.ReadAllText($"/proc/{pid}/cmdline").Contains("postgres", StringComparison.Ordinal);
        }
        catch (IOException) { return false; }
        catch (UnauthorizedAccessException) { return false; }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static void TryDelete(string dir)
    {
        try { Directory.Delete(dir, recursive: true); }
        catch (IOException ex) { Log.Warning(ex, "Could not delete {DataDirectory}", dir); }
        catch (UnauthorizedAccessException ex) { Log.Warning(ex, "Could not delete {DataDirectory}", dir); }
    }
}
