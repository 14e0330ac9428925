namespace Narrative.Api.Hosting;

/// <summary>Configuration, from environment variables, appsettings or command-line switches.</summary>
public sealed record NarrativeOptions
{
    /// <summary>NARRATIVE_DB or ConnectionStrings:Narrative. Empty: start the embedded PostgreSQL.</summary>
    public string? ConnectionString { get; init; }

    /// <summary>NARRATIVE_DATA: the embedded database (pg/), generated keys, benchmark results.</summary>
    public string DataDirectory { get; init; } = ".narrative";

    /// <summary>--seeds: a corpus folder ingested at start-up (idempotent). None: nothing is ingested.</summary>
    public string? Seeds { get; init; }

    /// <summary>SHA-256 of the ingest key (NARRATIVE_INGEST_KEY or .narrative/ingest.key): the key itself is not kept.</summary>
    public byte[] IngestKeyHash { get; init; } = [];

    /// <summary>SHA-256 of the admin key (NARRATIVE_ADMIN_KEY or .narrative/admin.key).</summary>
    public byte[] AdminKeyHash { get; init; } = [];

    /// <summary>Run projections and handlers in this process (Narrative:Daemon, default true).</summary>
    public bool RunDaemon { get; init; } = true;

    /// <summary>Webhook URLs that receive alerts (Narrative:Webhooks:0, :1 ...).</summary>
    public IReadOnlyList<string> Webhooks { get; init; } = [];

    /// <summary>
    /// Narrative:DaemonMode: HotCold (default, one node owns every projection), Distributed (Wolverine spreads the
    /// projections and the relay across the nodes, one owner each) or Solo (a single process).
    /// </summary>
    public JasperFx.Events.Daemon.DaemonMode DaemonMode { get; init; } = JasperFx.Events.Daemon.DaemonMode.HotCold;

    /// <summary>NARRATIVE_TOPIC_CACHE: how many topics' slices queries keep in memory (0 turns the cache off).</summary>
    public int TopicCache { get; init; } = Narrative.Analysis.Queries.AnalysisQueries.DefaultCachedTopics;

    /// <summary>
    /// NARRATIVE_DB_READ (several separated by <c>|</c>) or Narrative:Read:0, :1 ...: streaming replicas of the primary
    /// that serve point-in-time queries. None: the primary serves them.
    /// </summary>
    public IReadOnlyList<string> ReadConnectionStrings { get; init; } = [];

    /// <summary>NARRATIVE_CONSISTENCY_WAIT_MS: how long a query with X-Consistent-After waits for a replica (default 2000).</summary>
    public TimeSpan ConsistencyWait { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>NARRATIVE_RATE_LIMIT: requests per second per API key (or per client address without one); 0 turns it off.</summary>
    public int RateLimit { get; init; } = DefaultRateLimit;

    /// <summary>NARRATIVE_MAX_BODY_BYTES: the largest request body accepted by any route (default 4 MiB).</summary>
    public long MaxBodyBytes { get; init; } = 4 * 1024 * 1024;

    public const int DefaultRateLimit = 1000;

    public Narrative.Analysis.NarrativeRuntime Runtime => new()
    {
        Daemon = RunDaemon, DaemonMode = DaemonMode, Webhooks = Webhooks, CachedTopics = TopicCache,
        ReadReplicas = ReadConnectionStrings, ConsistencyWait = ConsistencyWait,
    };

    public static NarrativeOptions From(IConfiguration c)
    {
        // No secret from the configuration may reach a log line, whatever logs it.
        foreach (var name in (string[])["NARRATIVE_INGEST_KEY", "NARRATIVE_ADMIN_KEY"]) NarrativeLogging.Redact(c[name]);
        foreach (var cs in (string?[])[c["NARRATIVE_DB"], c.GetConnectionString("Narrative"), c["NARRATIVE_DB_READ"]])
            if (cs is { Length: > 0 })
                foreach (var one in cs.Split('|')) NarrativeLogging.Redact(PasswordOf(one));
        var data = c["NARRATIVE_DATA"] is { Length: > 0 } d ? d : c["Narrative:Data"] ?? ".narrative";
        return new NarrativeOptions
        {
            ConnectionString = c["NARRATIVE_DB"] is { Length: > 0 } db ? db : c.GetConnectionString("Narrative"),
            DataDirectory = data,
            Seeds = c["seeds"] ?? c["Narrative:Seeds"],
            IngestKeyHash = ApiKeys.Hash(c["NARRATIVE_INGEST_KEY"] is { Length: > 0 } ik ? ik : KeyFile(data, "ingest")),
            AdminKeyHash = ApiKeys.Hash(c["NARRATIVE_ADMIN_KEY"] is { Length: > 0 } ak ? ak : KeyFile(data, "admin")),
            RunDaemon = !string.Equals(c["Narrative:Daemon"], "false", StringComparison.OrdinalIgnoreCase),
            Webhooks = c.GetSection("Narrative:Webhooks").Get<string[]>() ?? [],
            DaemonMode = string.Equals(c["Narrative:DaemonMode"], "Distributed", StringComparison.OrdinalIgnoreCase) ? Narrative.Analysis.NarrativeHosting.Distributed
                : Enum.TryParse<JasperFx.Events.Daemon.DaemonMode>(c["Narrative:DaemonMode"], ignoreCase: true, out var mode)
                ? mode : JasperFx.Events.Daemon.DaemonMode.HotCold,
            TopicCache = int.TryParse(c["NARRATIVE_TOPIC_CACHE"], out var n) && n >= 0 ? n : Narrative.Analysis.Queries.AnalysisQueries.DefaultCachedTopics,
            ReadConnectionStrings = ReadReplicas(c),
            ConsistencyWait = TimeSpan.FromMilliseconds(int.TryParse(c["NARRATIVE_CONSISTENCY_WAIT_MS"], out var w) && w >= 0 ? w : 2000),
            RateLimit = int.TryParse(c["NARRATIVE_RATE_LIMIT"], out var rl) && rl >= 0 ? rl : DefaultRateLimit,
            MaxBodyBytes = long.TryParse(c["NARRATIVE_MAX_BODY_BYTES"], out var mb) && mb > 0 ? mb : 4 * 1024 * 1024,
        };
    }

    private static string? PasswordOf(string connectionString)
    {
        try { return new Npgsql.NpgsqlConnectionStringBuilder(connectionString).Password; }
        catch (ArgumentException) { return null; }
    }

    private static string[] ReadReplicas(IConfiguration c) =>
        c["NARRATIVE_DB_READ"] is { Length: > 0 } read
            ? read.Split('|', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            : c.GetSection("Narrative:Read").Get<string[]>() ?? [];

    /// <summary>A key generated once under the data folder when none is configured.</summary>
    private static string KeyFile(string data, string role)
    {
        var file = Path.Combine(data, $"{role}.key");
        if (File.Exists(file) && File.ReadAllText(file).Trim() is { Length: > 0 } existing)
        {
            NarrativeLogging.Redact(existing);
            return existing;
        }
        Directory.CreateDirectory(data);
        var key = Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(18));
        File.WriteAllText(file, key);
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(file, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        Serilog.Log.Warning("No {Role} key configured; generated one in {File}", role, file);
        NarrativeLogging.Redact(key);
        return key;
    }
}
