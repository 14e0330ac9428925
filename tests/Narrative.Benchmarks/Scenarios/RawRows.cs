using System.Text.Json;
using Marten;
using Narrative.Storage;
using Npgsql;
using NpgsqlTypes;

namespace Narrative.Benchmarks.Scenarios;

/// <summary>
/// The exact column values Marten writes to <c>mt_events</c> for a list of events appended through
/// <see cref="EventLog.AppendAsync(string, ExpectedVersion, IReadOnlyList{EventData}, CancellationToken)"/> to a fresh
/// stream (same JSON text from Marten's serializer, same type name, same hash chain in the headers, same metadata
/// columns), computed outside the timed section so the raw side only pays for the insert.
/// </summary>
public sealed class RawRows
{
    private RawRows(int n)
    {
        Ids = new Guid[n];
        Streams = new string[n];
        Versions = new long[n];
        Data = new string[n];
        Types = new string[n];
        DotnetTypes = new string[n];
        Correlation = new string?[n];
        Causation = new string?[n];
        Headers = new string[n];
        Users = new string?[n];
    }

    public Guid[] Ids { get; }
    public string[] Streams { get; }
    public long[] Versions { get; }
    public string[] Data { get; }
    public string[] Types { get; }
    public string[] DotnetTypes { get; }
    public string?[] Correlation { get; }
    public string?[] Causation { get; }
    public string[] Headers { get; }
    public string?[] Users { get; }
    public int Count => Ids.Length;

    /// <summary>Rows for versions 1..n of a fresh stream, as the log's AppendAsync has Marten write them.</summary>
    public static RawRows For(EventLog log, string streamId, IReadOnlyList<EventData> events)
    {
        var serializer = log.Store.Options.Serializer();
        var rows = new RawRows(events.Count);
        string? previous = null;
        for (var i = 0; i < events.Count; i++)
        {
            var e = events[i];
            var type = e.Data.GetType();
            rows.Ids[i] = e.EventId;
            rows.Streams[i] = streamId;
            rows.Versions[i] = i + 1;
            rows.Data[i] = serializer.ToJson(e.Data);
            rows.Types[i] = log.TypeName(type);
            rows.DotnetTypes[i] = $"{type.FullName}, {type.Assembly.GetName().Name}";
            rows.Correlation[i] = e.Metadata?.CorrelationId;
            rows.Causation[i] = e.Metadata?.CausationId;
            // One append has one user name (the session's), the first event's actor: the same rule as AppendAsync.
            rows.Users[i] = events[0].Metadata?.Actor;
            previous = HashChain.Compute(previous, rows.Types[i], streamId, i + 1, e.EventId, rows.Data[i]);
            rows.Headers[i] = JsonSerializer.Serialize(new Dictionary<string, string> { [HashChain.Header] = previous });
        }
        return rows;
    }

    private const string Table = EventStoreSetup.Schema + ".raw_events";

    private const string ColumnList = "id, stream_id, version, data, type, mt_dotnet_type, correlation_id, causation_id, headers, user_name";

    public const string MultiRowInsertSql = $"""
        insert into {Table} ({ColumnList})
        select * from unnest($1::uuid[], $2::text[], $3::bigint[], $4::jsonb[], $5::text[], $6::text[], $7::text[], $8::text[], $9::jsonb[], $10::text[])
        """;

    public const string SingleRowInsertSql = $"""
        insert into {Table} ({ColumnList}) values ($1, $2, $3, $4::jsonb, $5, $6, $7, $8, $9::jsonb, $10)
        """;

    public NpgsqlCommand MultiRowInsert(NpgsqlDataSource db)
    {
        var cmd = db.CreateCommand(MultiRowInsertSql);
        cmd.Parameters.Add(new NpgsqlParameter { Value = Ids });
        cmd.Parameters.Add(new NpgsqlParameter { Value = Streams, NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text });
        cmd.Parameters.Add(new NpgsqlParameter { Value = Versions });
        cmd.Parameters.Add(new NpgsqlParameter { Value = Data, NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text });
        cmd.Parameters.Add(new NpgsqlParameter { Value = Types, NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text });
        cmd.Parameters.Add(new NpgsqlParameter { Value = DotnetTypes, NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text });
        cmd.Parameters.Add(new NpgsqlParameter { Value = Correlation, NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text });
        cmd.Parameters.Add(new NpgsqlParameter { Value = Causation, NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text });
        cmd.Parameters.Add(new NpgsqlParameter { Value = Headers, NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text });
        cmd.Parameters.Add(new NpgsqlParameter { Value = Users, NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text });
        return cmd;
    }

    public NpgsqlCommand SingleRowInsert(NpgsqlDataSource db, int i)
    {
        var cmd = db.CreateCommand(SingleRowInsertSql);
        cmd.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = Ids[i] });
        cmd.Parameters.Add(new NpgsqlParameter<string> { TypedValue = Streams[i], NpgsqlDbType = NpgsqlDbType.Text });
        cmd.Parameters.Add(new NpgsqlParameter<long> { TypedValue = Versions[i] });
        cmd.Parameters.Add(new NpgsqlParameter<string> { TypedValue = Data[i], NpgsqlDbType = NpgsqlDbType.Text });
        cmd.Parameters.Add(new NpgsqlParameter<string> { TypedValue = Types[i], NpgsqlDbType = NpgsqlDbType.Text });
        cmd.Parameters.Add(new NpgsqlParameter<string> { TypedValue = DotnetTypes[i], NpgsqlDbType = NpgsqlDbType.Text });
        cmd.Parameters.Add(new NpgsqlParameter { Value = (object?)Correlation[i] ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text });
        cmd.Parameters.Add(new NpgsqlParameter { Value = (object?)Causation[i] ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text });
        cmd.Parameters.Add(new NpgsqlParameter<string> { TypedValue = Headers[i], NpgsqlDbType = NpgsqlDbType.Text });
        cmd.Parameters.Add(new NpgsqlParameter { Value = (object?)Users[i] ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text });
        return cmd;
    }
}
