-- Captured pages: the raw bytes, gzip-compressed, beside the log rather than inside it. The page_captured event
-- carries the SHA-256 of the raw bytes and is hash-chained, so a byte changed here is detectable; keeping the bytes
-- out of mt_events keeps the log's readers (paging, audits, the bulk rebuild) as fast as before.
create table if not exists catalog.captures (
    capture_id   text primary key,
    sha256       text not null unique,
    content_type text not null,
    bytes        bigint not null,
    raw_gzip     bytea not null,
    position     bigint not null
);

-- A document made from a capture names it; its items' quotes were checked against the capture's main text.
alter table catalog.documents add column if not exists capture_id text;
