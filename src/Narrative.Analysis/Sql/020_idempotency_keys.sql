-- Idempotency-Key of writes (README "Input rules"): the answer a key got, written in the same transaction as the
-- events it describes, so a retry after a lost response finds either both or neither.
create table if not exists catalog.idempotency_keys (
    idempotency_key text primary key,
    request_hash    text not null,
    answer          jsonb not null,
    recorded_at     timestamptz not null default now()
);
