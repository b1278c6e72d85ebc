-- safe-migrate: no-transaction
-- Undo 20260101090700_index_products_search.
-- Dropped CONCURRENTLY so queries on products are never blocked.

DROP INDEX CONCURRENTLY IF EXISTS public.products_search_idx;
