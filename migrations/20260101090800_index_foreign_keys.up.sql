-- safe-migrate: no-transaction
-- safe-migrate: statement-timeout=30min
-- Indexes on foreign-key columns that are not the leading column of an
-- existing index. They speed up joins and make ON DELETE CASCADE / NO ACTION
-- checks on the parent table use an index instead of a sequential scan.
--
-- Built CONCURRENTLY because the tables already exist (no read/write
-- blocking); CONCURRENTLY cannot run in a transaction block, hence
-- no-transaction. Each statement commits on its own and uses IF NOT EXISTS,
-- so re-running after a partial failure only builds what is missing (but see
-- the INVALID-index caveat in 20260101090700_index_products_search).

CREATE INDEX CONCURRENTLY IF NOT EXISTS orders_user_id_idx
    ON public.orders (user_id);

CREATE INDEX CONCURRENTLY IF NOT EXISTS order_items_order_id_idx
    ON public.order_items (order_id);

CREATE INDEX CONCURRENTLY IF NOT EXISTS order_items_product_id_idx
    ON public.order_items (product_id);

CREATE INDEX CONCURRENTLY IF NOT EXISTS product_categories_category_id_idx
    ON public.product_categories (category_id);
