using System.Globalization;
using NpgsqlTypes;

namespace Narrative.Storage.Replication;

/// <summary>
/// What a write hands back so that a later read can ask to see it: the primary's WAL insert position just after the
/// write committed (a replica that has replayed up to it holds the write) and the log position of the write's newest
/// event (a read model that has processed up to it reflects the write). Written as <c>LSN:position</c>, e.g.
/// <c>0/3000148:812</c>; a bare LSN is accepted too (position 0).
/// </summary>
public readonly record struct ConsistencyToken(NpgsqlLogSequenceNumber Lsn, long Position)
{
    /// <summary>The WAL insert position (never behind our commit record) and the stream's newest event, on the primary.</summary>
    public const string PrimarySql = $"""
        select pg_current_wal_insert_lsn(), coalesce((select max(seq_id) from {EventStoreSetup.Schema}.mt_events where stream_id = $1), 0)
        """;

    public override string ToString() => Position > 0 ? $"{Lsn}:{Position.ToString(CultureInfo.InvariantCulture)}" : Lsn.ToString();

    public static bool TryParse(string? text, out ConsistencyToken token)
    {
        token = default;
        if (string.IsNullOrWhiteSpace(text) || text.Length > 64) return false;
        var parts = text.Trim().Split(':');
        if (parts.Length > 2 || !NpgsqlLogSequenceNumber.TryParse(parts[0], out var lsn)) return false;
        long position = 0;
        if (parts.Length == 2 && !(long.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out position))) return false;
        token = new ConsistencyToken(lsn, position);
        return true;
    }
}
