-- The catalog: an inline projection, written in the same transaction as the events, so that validation of the next
-- document (references to sources, topics, documents, items) is always consistent with the log.
create schema if not exists catalog;

create table if not exists catalog.sources (
    source_id    text primary key,
    reliability  text not null,
    content_hash text not null,
    position     bigint not null
);

create table if not exists catalog.topics (
    topic_id     text primary key,
    hypotheses   text[] not null,
    period_start date not null,
    period_end   date not null,
    content_hash text not null,
    position     bigint not null
);

create table if not exists catalog.context_periods (
    period_id    text primary key,
    content_hash text not null,
    position     bigint not null
);

create table if not exists catalog.documents (
    document_id  text primary key,
    published_at date not null,
    claims       text[] not null,
    item_ids     text[] not null,
    content_hash text not null,
    position     bigint not null
);

create table if not exists catalog.items (
    item_id     text primary key,
    document_id text not null,
    topic       text not null,
    retracted   boolean not null default false
);
