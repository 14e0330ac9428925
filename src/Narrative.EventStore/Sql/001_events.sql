-- The event log. Rows are never updated or deleted by the application.
-- position: identity, assigned at insert. tx_id: the inserting transaction (xid8 as bigint).
-- Subscribers read in (tx_id, position) order and only below the snapshot xmin horizon, so an event
-- that commits late can never be overtaken by a checkpoint (see README, "Global order").
create table if not exists events (
    position       bigint generated always as identity primary key,
    tx_id          bigint      not null default (pg_current_xact_id()::text)::bigint,
    stream_id      text        not null,
    stream_version integer     not null,
    event_id       uuid        not null,
    type           text        not null,
    data           json        not null,
    metadata       json        not null,
    occurred_at    timestamptz not null,
    recorded_at    timestamptz not null default statement_timestamp(),
    hash           bytea       not null,
    constraint events_stream_version_uq unique (stream_id, stream_version),
    constraint events_event_id_uq unique (event_id)
);

create index if not exists events_tx_position_ix on events (tx_id, position);
create index if not exists events_type_ix on events (type, position);

create or replace function events_notify() returns trigger language plpgsql as $$
begin
    perform pg_notify('narrative_events', '');
    return null;
end $$;

drop trigger if exists events_notify_trg on events;
create trigger events_notify_trg after insert on events for each statement execute function events_notify();

-- One row per projection or handler: where it has got to in the global order.
create table if not exists checkpoints (
    name        text primary key,
    tx_id       bigint      not null default 0,
    position    bigint      not null default 0,
    updated_at  timestamptz not null default now(),
    owner       text,
    last_error  text,
    error_at    timestamptz
);
