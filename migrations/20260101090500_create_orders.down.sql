-- safe-migrate: lock-timeout=5s
-- Undo 20260101090500_create_orders.
-- Dropping the foreign key briefly locks users.

DROP TRIGGER orders_set_updated_at ON public.orders;

DROP TABLE public.orders;
