-- safe-migrate: no-transaction
-- Undo 20260101090800_index_foreign_keys.
-- DROP INDEX CONCURRENTLY accepts only one index per statement.

DROP INDEX CONCURRENTLY IF EXISTS public.product_categories_category_id_idx;

DROP INDEX CONCURRENTLY IF EXISTS public.order_items_product_id_idx;

DROP INDEX CONCURRENTLY IF EXISTS public.order_items_order_id_idx;

DROP INDEX CONCURRENTLY IF EXISTS public.orders_user_id_idx;
