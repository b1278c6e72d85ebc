-- Undo 20260101090200_create_categories.

DROP TRIGGER categories_set_updated_at ON public.categories;

DROP TABLE public.categories;
