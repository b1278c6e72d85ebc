-- safe-migrate: environments=development,test
-- safe-migrate: requires=010_users,020_catalog
-- Orders: 0 to 8 per seeded user, each with 1 to 6 line items of distinct
-- seeded products at the product's price, quantity 1 to 4. Totals are exact
-- and in integer cents:
--
--   subtotal = sum(quantity * unit price)        over the order's items
--   tax      = round(subtotal * 0.08)            8%, half away from zero
--   shipping = 0 when subtotal >= 100.00, else 5.99
--   total    = subtotal + tax + shipping          (orders_total_cents_check)
--
-- Order ids are drawn from the orders identity sequence first, so items can
-- point at their order before either is inserted, and every order is
-- inserted once with its final totals.

CREATE OR REPLACE FUNCTION pg_temp.sm_pick(key text, n bigint) RETURNS bigint
    LANGUAGE sql IMMUTABLE
AS $$ SELECT (('x' || substr(md5(key), 1, 8))::bit(32)::int & 2147483647)::bigint % n $$;

CREATE TEMP TABLE seed_orders ON COMMIT DROP AS
SELECT nextval(pg_get_serial_sequence('public.orders', 'id')) AS id,
       u.id AS user_id,
       u.n || '-' || o AS key,
       (ARRAY['pending', 'paid', 'shipped', 'delivered', 'delivered', 'delivered',
              'cancelled', 'refunded'])[1 + pg_temp.sm_pick('status-' || u.n || '-' || o, 8)]
           AS status,
       timestamptz '2025-01-01 00:00:00+00'
           + make_interval(mins => pg_temp.sm_pick('placed-' || u.n || '-' || o, 525600)::int)
           AS placed_at
FROM (
    SELECT id, substring(email FROM 5 FOR 7)::int AS n
    FROM public.users
    WHERE email ~ '^user[0-9]{7}@example\.test$'
) AS u
CROSS JOIN LATERAL generate_series(1, pg_temp.sm_pick('orders-' || u.n, 9)::int) AS o
ORDER BY u.n, o;

-- Products p0 + j*s (mod the product count) for j < 6 and s in 1-7: distinct
-- while there are more than 35 products (200 per unit of scale).
CREATE TEMP TABLE seed_items ON COMMIT DROP AS
SELECT o.id AS order_id,
       j,
       p.id AS product_id,
       q.quantity,
       p.price_cents AS unit_price_cents,
       q.quantity::bigint * p.price_cents AS line_total_cents,
       o.placed_at
FROM seed_orders AS o
CROSS JOIN (
    SELECT count(*) AS n FROM public.products WHERE sku ~ '^SKU-[0-9]{8}$'
) AS catalog
CROSS JOIN LATERAL generate_series(0, pg_temp.sm_pick('items-' || o.key, 6)::int) AS j
CROSS JOIN LATERAL (
    SELECT (pg_temp.sm_pick('product-' || o.key, catalog.n)
            + j * (1 + pg_temp.sm_pick('product-step-' || o.key, 7))) % catalog.n + 1 AS pn,
           1 + pg_temp.sm_pick('quantity-' || o.key || '-' || j, 4)::int AS quantity
) AS q
JOIN public.products AS p ON p.sku = format('SKU-%s', lpad(q.pn::text, 8, '0'));

INSERT INTO public.orders (id, user_id, status, subtotal_cents, tax_cents, shipping_cents,
                           total_cents, placed_at, shipped_at, created_at, updated_at)
OVERRIDING SYSTEM VALUE
SELECT o.id, o.user_id, o.status, s.subtotal, t.tax, t.shipping,
       s.subtotal + t.tax + t.shipping,
       o.placed_at,
       CASE WHEN o.status IN ('shipped', 'delivered')
            THEN o.placed_at + make_interval(days => 1 + pg_temp.sm_pick('shipped-' || o.key, 5)::int)
       END,
       o.placed_at, o.placed_at
FROM seed_orders AS o
JOIN (
    SELECT order_id, sum(line_total_cents)::bigint AS subtotal FROM seed_items GROUP BY order_id
) AS s ON s.order_id = o.id
CROSS JOIN LATERAL (
    SELECT round(s.subtotal * 0.08)::bigint AS tax,
           CASE WHEN s.subtotal >= 10000 THEN 0 ELSE 599 END AS shipping
) AS t
ORDER BY o.id;

INSERT INTO public.order_items (order_id, product_id, quantity, unit_price_cents,
                                line_total_cents, created_at, updated_at)
SELECT order_id, product_id, quantity, unit_price_cents, line_total_cents, placed_at, placed_at
FROM seed_items
ORDER BY order_id, j;
