using NpgsqlTypes;

namespace Narrative.Storage.Replication;

/// <summary>How far a streaming replica has got: the WAL it has replayed, and when the last replayed transaction committed.</summary>
public sealed record ReplicaState(NpgsqlLogSequenceNumber ReplayLsn, DateTimeOffset? LastReplayedCommit)
{
    /// <summary>On a standby; on a primary <c>pg_last_wal_replay_lsn()</c> is null.</summary>
    public const string Sql = "select pg_last_wal_replay_lsn(), pg_last_xact_replay_timestamp()";
}
