-- safe-migrate: lock-timeout=5s
-- Undo 20260101090600_create_order_items.
-- Dropping the foreign keys briefly locks orders and products.

DROP TRIGGER order_items_set_updated_at ON public.order_items;

DROP TABLE public.order_items;
