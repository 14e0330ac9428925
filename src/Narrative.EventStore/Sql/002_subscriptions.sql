-- Checkpoint bookkeeping for projections and handlers.
alter table checkpoints add column if not exists kind text not null default 'projection';
alter table checkpoints add column if not exists attempts integer not null default 0;
alter table checkpoints add column if not exists rebuild_progress double precision;
alter table checkpoints add column if not exists started_at timestamptz;
