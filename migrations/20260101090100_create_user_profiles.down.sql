-- safe-migrate: lock-timeout=5s
-- Undo 20260101090100_create_user_profiles.
-- Dropping the table also drops its foreign key, which needs a brief lock
-- on users; hence the lock timeout.

DROP TRIGGER user_profiles_set_updated_at ON public.user_profiles;

DROP TABLE public.user_profiles;
