-- safe-migrate: lock-timeout=2s
-- Undo 20260101090900_add_orders_shipped_at.
-- DROP COLUMN is catalog-only too, but needs the same brief exclusive lock.

ALTER TABLE public.orders
    DROP COLUMN shipped_at;
