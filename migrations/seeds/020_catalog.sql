-- safe-migrate: environments=development,test
-- The catalog: 10 categories (4 top-level, 6 below them) and 200 products per
-- unit of scale, each in 1 to 3 distinct categories. Prices run from 1.99 to
-- 199.98. Deterministic, as in 010_users.

CREATE OR REPLACE FUNCTION pg_temp.sm_pick(key text, n bigint) RETURNS bigint
    LANGUAGE sql IMMUTABLE
AS $$ SELECT (('x' || substr(md5(key), 1, 8))::bit(32)::int & 2147483647)::bigint % n $$;

CREATE OR REPLACE FUNCTION pg_temp.sm_scale() RETURNS integer
    LANGUAGE sql STABLE
AS $$ SELECT greatest(coalesce(nullif(current_setting('safe_migrate.seed_scale', true), '')::int, 1), 1) $$;

INSERT INTO public.categories (slug, name)
VALUES ('electronics', 'Electronics'),
       ('home', 'Home & Kitchen'),
       ('books', 'Books'),
       ('outdoors', 'Sports & Outdoors');

INSERT INTO public.categories (slug, name, parent_id)
SELECT c.slug, c.name, p.id
FROM (VALUES ('phones', 'Phones', 'electronics'),
             ('computers', 'Computers', 'electronics'),
             ('kitchen', 'Kitchen', 'home'),
             ('furniture', 'Furniture', 'home'),
             ('fiction', 'Fiction', 'books'),
             ('camping', 'Camping', 'outdoors')) AS c (slug, name, parent)
JOIN public.categories AS p ON p.slug = c.parent
ORDER BY c.slug;

INSERT INTO public.products (sku, name, description, price_cents, active, created_at, updated_at)
SELECT format('SKU-%s', lpad(n::text, 8, '0')),
       words.adjective[1 + pg_temp.sm_pick('adjective-' || n, 12)] || ' '
           || words.noun[1 + pg_temp.sm_pick('noun-' || n, 12)] || ' ' || n,
       'A ' || lower(words.adjective[1 + pg_temp.sm_pick('adjective-' || n, 12)]) || ' '
           || lower(words.noun[1 + pg_temp.sm_pick('noun-' || n, 12)]) || ' for everyday use.',
       199 + pg_temp.sm_pick('price-' || n, 19800)::int,
       pg_temp.sm_pick('active-' || n, 20) <> 0,
       t, t
FROM generate_series(1, 200 * pg_temp.sm_scale()) AS n
CROSS JOIN LATERAL (
    SELECT timestamptz '2023-06-01 00:00:00+00'
           + make_interval(mins => pg_temp.sm_pick('product-created-' || n, 259200)::int) AS t
) AS created
CROSS JOIN (
    SELECT ARRAY['Compact', 'Classic', 'Rugged', 'Smart', 'Cozy', 'Sleek', 'Vintage', 'Modern',
                 'Portable', 'Deluxe', 'Eco', 'Sturdy'] AS adjective,
           ARRAY['Lamp', 'Kettle', 'Tent', 'Phone', 'Laptop', 'Chair', 'Novel', 'Backpack',
                 'Blender', 'Desk', 'Headset', 'Lantern'] AS noun
) AS words
ORDER BY n;

-- Category k (0-9, by slug) for offsets 0, s, 2s of a start c and a step s in
-- 1-3: always distinct, as 2s < 10.
INSERT INTO public.product_categories (product_id, category_id)
SELECT p.id, c.id
FROM (
    SELECT id, substring(sku FROM 5)::int AS n FROM public.products WHERE sku ~ '^SKU-[0-9]{8}$'
) AS p
CROSS JOIN LATERAL generate_series(0, pg_temp.sm_pick('category-count-' || p.n, 3)::int) AS j
JOIN (
    SELECT id, row_number() OVER (ORDER BY slug) - 1 AS k
    FROM public.categories
    WHERE slug IN ('electronics', 'home', 'books', 'outdoors', 'phones', 'computers', 'kitchen',
                   'furniture', 'fiction', 'camping')
) AS c ON c.k = (pg_temp.sm_pick('category-' || p.n, 10)
                 + j * (1 + pg_temp.sm_pick('category-step-' || p.n, 3))) % 10
ORDER BY p.n, j;
