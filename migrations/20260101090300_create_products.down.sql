-- Undo 20260101090300_create_products.

DROP TRIGGER products_set_updated_at ON public.products;

DROP TABLE public.products;
