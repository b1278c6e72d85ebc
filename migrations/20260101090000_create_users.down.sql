-- Undo 20260101090000_create_users.
-- No CASCADE: if anything still depends on these objects, fail loudly.

DROP TRIGGER users_set_updated_at ON public.users;

DROP TABLE public.users;

DROP FUNCTION public.set_updated_at();
