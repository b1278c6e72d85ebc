-- safe-migrate: lock-timeout=2s
-- Undo 20260101091000_add_orders_total_check.

ALTER TABLE public.orders
    DROP CONSTRAINT orders_total_cents_check;
