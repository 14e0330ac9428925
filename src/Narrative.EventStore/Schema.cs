using System.Reflection;
using Npgsql;
using Serilog;

namespace Narrative.EventStore;

/// <summary>
/// Versioned migrations from embedded .sql resources. Each runs once, in order, inside one transaction that holds a
/// transaction-level advisory lock, so two processes starting together apply them exactly once.
/// </summary>
public static class Schema
{
    private const long MigrationLock = 0x4E41525241544956; // "NARRATIV"

    public static Task MigrateAsync(NpgsqlDataSource db, CancellationToken ct) =>
        MigrateAsync(db, [typeof(Schema).Assembly], ct);

    /// <summary>Applies the store's migrations, then those embedded in the given assemblies (prefixed by assembly name).</summary>
    public static async Task MigrateAsync(NpgsqlDataSource db, IEnumerable<Assembly> assemblies, CancellationToken ct)
    {
        var scripts = assemblies.Distinct()
            .SelectMany(a => a.GetManifestResourceNames()
                .Where(n => n.EndsWith(".sql", StringComparison.Ordinal) && n.Contains(".Sql.", StringComparison.Ordinal))
                .Select(n => (Assembly: a, Resource: n, Id: $"{a.GetName().Name}:{n[(n.IndexOf(".Sql.", StringComparison.Ordinal) + 5)..]}")))
            .ToList();
        // The store's own tables come first; inside an assembly, file names (001_, 002_) give the order.
        scripts = scripts.OrderBy(s => s.Assembly == typeof(Schema).Assembly ? 0 : 1).ThenBy(s => s.Assembly.GetName().Name, StringComparer.Ordinal)
            .ThenBy(s => s.Id, StringComparer.Ordinal).ToList();

        await using var conn = await db.OpenConnectionAsync(ct);
        await using var tx = await conn.BeginTransactionAsync(ct);
        await Exec(conn, tx, $"select pg_advisory_xact_lock({MigrationLock})", ct);
        await Exec(conn, tx, "create table if not exists schema_migrations (id text primary key, applied_at timestamptz not null default now())", ct);

        var applied = new HashSet<string>(StringComparer.Ordinal);
        await using (var cmd = new NpgsqlCommand("select id from schema_migrations", conn, tx))
        await using (var reader = await cmd.ExecuteReaderAsync(ct))
            while (await reader.ReadAsync(ct)) applied.Add(reader.GetString(0));

        foreach (var (assembly, resource, id) in scripts.Where(s => !applied.Contains(s.Id)))
        {
            await using var stream = assembly.GetManifestResourceStream(resource)!;
            using var text = new StreamReader(stream);
            await Exec(conn, tx, await text.ReadToEndAsync(ct), ct);
            await using var mark = new NpgsqlCommand("insert into schema_migrations (id) values (@id)", conn, tx);
            mark.Parameters.AddWithValue("id", id);
            await mark.ExecuteNonQueryAsync(ct);
            Log.Information("Applied migration {Migration}", id);
        }
        await tx.CommitAsync(ct);
    }

    private static async Task Exec(NpgsqlConnection conn, NpgsqlTransaction tx, string sql, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand(sql, conn, tx);
        await cmd.ExecuteNonQueryAsync(ct);
    }
}
