-- safe-migrate: no-transaction
-- safe-migrate: statement-timeout=30min
-- GIN index for full-text search on products.search.
--
-- products already exists (and on a live system has data), so the index is
-- built CONCURRENTLY: it only takes a SHARE UPDATE EXCLUSIVE lock and never
-- blocks reads or writes. CONCURRENTLY cannot run inside a transaction
-- block, hence no-transaction. IF NOT EXISTS makes a retry safe.
--
-- Caveat: if a concurrent build fails half-way it leaves an INVALID index
-- behind, which IF NOT EXISTS would then silently accept. Before retrying a
-- failed run, check pg_index.indisvalid and drop any invalid leftover with
-- the down migration.

CREATE INDEX CONCURRENTLY IF NOT EXISTS products_search_idx
    ON public.products USING gin (search);
