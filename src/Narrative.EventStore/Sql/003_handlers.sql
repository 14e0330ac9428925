-- Handlers: inbox (idempotency), dead letters, and the outbox for side effects.

-- One row per (handler, event) that a handler has handled successfully, written in the same transaction as its effects.
create table if not exists handler_inbox (
    handler    text        not null,
    event_id   uuid        not null,
    position   bigint      not null,
    handled_at timestamptz not null default now(),
    primary key (handler, event_id)
);

-- Events a handler gave up on after its last attempt. Rows are never deleted: a replay marks them replayed.
create table if not exists handler_dead_letters (
    id                bigint generated always as identity primary key,
    handler           text        not null,
    event_id          uuid        not null,
    position          bigint      not null,
    tx_id             bigint      not null,
    stream_id         text        not null,
    event_type        text        not null,
    attempts          integer     not null,
    error_type        text        not null,
    error_message     text        not null,
    error_stack       text,
    failed_at         timestamptz not null default now(),
    replayed_at       timestamptz,
    replay_attempts   integer     not null default 0,
    last_replay_error text,
    last_replay_at    timestamptz
);

-- At most one open dead letter per (handler, event): a redelivery of a dead-lettered event does not add another.
create unique index if not exists handler_dead_letters_open_uq on handler_dead_letters (handler, event_id) where replayed_at is null;
create index if not exists handler_dead_letters_handler_ix on handler_dead_letters (handler, id);

-- Side effects, written by handlers in their batch transaction and delivered afterwards.
-- tx_id gives readers the same gap-free order as the event log: (tx_id, id) below the snapshot xmin.
create table if not exists outbox (
    id             bigint generated always as identity primary key,
    tx_id          bigint      not null default (pg_current_xact_id()::text)::bigint,
    kind           text        not null,
    payload        json        not null,
    handler        text,
    event_id       uuid,
    correlation_id text,
    created_at     timestamptz not null default now(),
    dispatched_at  timestamptz
);

create index if not exists outbox_tx_id_ix on outbox (tx_id, id);
create index if not exists outbox_pending_ix on outbox (id) where dispatched_at is null;

-- One row per (outbox message, sink) the dispatcher has tried: attempts, last error, when it may try again.
create table if not exists outbox_deliveries (
    outbox_id       bigint      not null references outbox (id),
    sink            text        not null,
    attempts        integer     not null default 0,
    last_error      text,
    last_attempt_at timestamptz,
    next_attempt_at timestamptz,
    delivered_at    timestamptz,
    primary key (outbox_id, sink)
);

create or replace function outbox_notify() returns trigger language plpgsql as $$
begin
    perform pg_notify('narrative_outbox', '');
    return null;
end $$;

drop trigger if exists outbox_notify_trg on outbox;
create trigger outbox_notify_trg after insert on outbox for each statement execute function outbox_notify();
