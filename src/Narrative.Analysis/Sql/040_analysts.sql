-- Analysts and their keys, written in the same transaction as their events (analyst-{id} stream), so that a revoked or
-- rotated key stops working the moment the write commits. Only the SHA-256 of a key is kept, never the key.
-- position: the last event that changed the row; max(position) tells key caches that something changed.
create table if not exists catalog.analysts (
    analyst_id text primary key,
    name       text not null,
    key_hash   text not null,
    revoked    boolean not null default false,
    position   bigint not null
);
