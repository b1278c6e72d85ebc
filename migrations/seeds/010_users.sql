-- safe-migrate: environments=development,test
-- Users, each with a profile: 50 per unit of scale (seed run --scale N, read
-- here as the setting safe_migrate.seed_scale).
--
-- Deterministic: every value derives from the user's number n through md5
-- (pg_temp.sm_pick), so the same scale always produces the same rows. Users
-- are found again by their email (user0000001@example.test ...), never by id,
-- so the seeds hold together whatever the identity sequences have reached.

CREATE OR REPLACE FUNCTION pg_temp.sm_pick(key text, n bigint) RETURNS bigint
    LANGUAGE sql IMMUTABLE
AS $$ SELECT (('x' || substr(md5(key), 1, 8))::bit(32)::int & 2147483647)::bigint % n $$;

CREATE OR REPLACE FUNCTION pg_temp.sm_scale() RETURNS integer
    LANGUAGE sql STABLE
AS $$ SELECT greatest(coalesce(nullif(current_setting('safe_migrate.seed_scale', true), '')::int, 1), 1) $$;

INSERT INTO public.users (email, created_at, updated_at)
SELECT format('user%s@example.test', lpad(n::text, 7, '0')), t, t
FROM generate_series(1, 50 * pg_temp.sm_scale()) AS n
CROSS JOIN LATERAL (
    SELECT timestamptz '2024-01-01 00:00:00+00'
           + make_interval(mins => pg_temp.sm_pick('user-created-' || n, 525600)::int) AS t
) AS created
ORDER BY n;

INSERT INTO public.user_profiles (user_id, display_name, bio, birth_date, created_at, updated_at)
SELECT u.id,
       names.first[1 + pg_temp.sm_pick('first-' || u.n, 16)] || ' '
           || names.last[1 + pg_temp.sm_pick('last-' || u.n, 16)],
       CASE WHEN pg_temp.sm_pick('bio-' || u.n, 3) = 0 THEN NULL
            ELSE 'Enjoys ' || names.hobby[1 + pg_temp.sm_pick('hobby-' || u.n, 8)] || '.'
       END,
       date '1950-01-01' + pg_temp.sm_pick('birth-' || u.n, 365 * 55)::int,
       u.created_at,
       u.created_at
FROM (
    SELECT id, created_at, substring(email FROM 5 FOR 7)::int AS n
    FROM public.users
    WHERE email ~ '^user[0-9]{7}@example\.test$'
) AS u
CROSS JOIN (
    SELECT ARRAY['Ada', 'Ben', 'Chloe', 'Dmitri', 'Elena', 'Farid', 'Grace', 'Hiro',
                 'Ines', 'Jonas', 'Keiko', 'Liam', 'Maya', 'Nils', 'Olga', 'Priya'] AS first,
           ARRAY['Adams', 'Berg', 'Costa', 'Dubois', 'Eriksen', 'Fischer', 'Garcia', 'Hughes',
                 'Ito', 'Jensen', 'Kowalski', 'Lopez', 'Moreau', 'Novak', 'Okafor', 'Patel'] AS last,
           ARRAY['hiking', 'baking', 'chess', 'cycling', 'gardening', 'jazz', 'photography',
                 'reading'] AS hobby
) AS names
ORDER BY u.n;
