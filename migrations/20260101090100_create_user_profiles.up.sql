-- safe-migrate: lock-timeout=5s
-- One optional profile row per user.
--
-- The foreign key takes a SHARE ROW EXCLUSIVE lock on the existing users
-- table; the lock timeout makes us give up quickly (and retry later) rather
-- than queue behind a long transaction and block all writers to users.

CREATE TABLE public.user_profiles (
    user_id      bigint      NOT NULL,
    display_name text,
    bio          text,
    birth_date   date,
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT user_profiles_pkey PRIMARY KEY (user_id),
    CONSTRAINT user_profiles_user_id_fkey FOREIGN KEY (user_id)
        REFERENCES public.users (id) ON DELETE CASCADE
);

CREATE TRIGGER user_profiles_set_updated_at
    BEFORE UPDATE ON public.user_profiles
    FOR EACH ROW
    EXECUTE FUNCTION public.set_updated_at();
