-- safe-migrate: lock-timeout=5s
-- Undo 20260101090400_create_product_categories.
-- Dropping the foreign keys briefly locks products and categories.

DROP TABLE public.product_categories;
