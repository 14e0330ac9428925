using System.Text.Json;
using Narrative.Storage;
using Npgsql;
using NpgsqlTypes;

namespace Narrative.Benchmarks.Scenarios;

/// <summary>
/// The exact column values the store writes for a list of events (same JSON text, same truncated time, same hash
/// chain), computed outside the timed section so the raw side only pays for the insert.
/// </summary>
public sealed class RawRows
{
    private RawRows(int n)
    {
        Streams = new string[n];
        Versions = new int[n];
        Ids = new Guid[n];
        Types = new string[n];
        Data = new string[n];
        Metadata = new string[n];
        OccurredAt = new DateTime[n];
        Hashes = new byte[n][];
    }

    public string[] Streams { get; }
    public int[] Versions { get; }
    public Guid[] Ids { get; }
    public string[] Types { get; }
    public string[] Data { get; }
    public string[] Metadata { get; }
    public DateTime[] OccurredAt { get; }
    public byte[][] Hashes { get; }
    public int Count => Ids.Length;

    /// <summary>Rows for a fresh stream, as the store's AppendAsync would build them.</summary>
    public static RawRows For(EventTypeRegistry types, string streamId, IReadOnlyList<EventData> events)
    {
        var rows = new RawRows(events.Count);
        byte[] previous = [];
        for (var i = 0; i < events.Count; i++)
        {
            var e = events[i];
            rows.Streams[i] = streamId;
            rows.Versions[i] = i + 1;
            rows.Ids[i] = e.EventId;
            rows.Types[i] = types.NameOf(e.Data.GetType());
            rows.Data[i] = types.Serialize(e.Data);
            rows.Metadata[i] = JsonSerializer.Serialize(e.Metadata ?? new EventMetadata(), types.Json);
            var at = EventHash.Truncate(e.OccurredAt);
            rows.OccurredAt[i] = at.UtcDateTime;
            previous = EventHash.Compute(previous, streamId, rows.Versions[i], e.EventId, rows.Types[i], at, rows.Data[i], rows.Metadata[i]);
            rows.Hashes[i] = previous;
        }
        return rows;
    }

    public const string MultiRowInsertSql = """
        insert into raw_events (stream_id, stream_version, event_id, type, data, metadata, occurred_at, hash)
        select * from unnest($1::text[], $2::int[], $3::uuid[], $4::text[], $5::json[], $6::json[], $7::timestamptz[], $8::bytea[])
        """;

    public const string SingleRowInsertSql = """
        insert into raw_events (stream_id, stream_version, event_id, type, data, metadata, occurred_at, hash)
        values ($1, $2, $3, $4, $5, $6, $7, $8)
        """;

    public NpgsqlCommand MultiRowInsert(NpgsqlDataSource db)
    {
        var cmd = db.CreateCommand(MultiRowInsertSql);
        cmd.Parameters.Add(new NpgsqlParameter { Value = Streams, NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text });
        cmd.Parameters.Add(new NpgsqlParameter { Value = Versions });
        cmd.Parameters.Add(new NpgsqlParameter { Value = Ids });
        cmd.Parameters.Add(new NpgsqlParameter { Value = Types, NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text });
        cmd.Parameters.Add(new NpgsqlParameter { Value = Data, NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Json });
        cmd.Parameters.Add(new NpgsqlParameter { Value = Metadata, NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Json });
        cmd.Parameters.Add(new NpgsqlParameter { Value = OccurredAt, NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.TimestampTz });
        cmd.Parameters.Add(new NpgsqlParameter { Value = Hashes, NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Bytea });
        return cmd;
    }

    public NpgsqlCommand SingleRowInsert(NpgsqlDataSource db, int i)
    {
        var cmd = db.CreateCommand(SingleRowInsertSql);
        cmd.Parameters.Add(new NpgsqlParameter<string> { TypedValue = Streams[i], NpgsqlDbType = NpgsqlDbType.Text });
        cmd.Parameters.Add(new NpgsqlParameter<int> { TypedValue = Versions[i] });
        cmd.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = Ids[i] });
        cmd.Parameters.Add(new NpgsqlParameter<string> { TypedValue = Types[i], NpgsqlDbType = NpgsqlDbType.Text });
        cmd.Parameters.Add(new NpgsqlParameter<string> { TypedValue = Data[i], NpgsqlDbType = NpgsqlDbType.Json });
        cmd.Parameters.Add(new NpgsqlParameter<string> { TypedValue = Metadata[i], NpgsqlDbType = NpgsqlDbType.Json });
        cmd.Parameters.Add(new NpgsqlParameter<DateTime> { TypedValue = OccurredAt[i], NpgsqlDbType = NpgsqlDbType.TimestampTz });
        cmd.Parameters.Add(new NpgsqlParameter<byte[]> { TypedValue = Hashes[i], NpgsqlDbType = NpgsqlDbType.Bytea });
        return cmd;
    }
}
