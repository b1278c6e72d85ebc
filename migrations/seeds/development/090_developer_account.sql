-- safe-migrate: requires=020_catalog
-- Development only (this directory): an account to sign in with locally, with
-- one delivered order of the two cheapest seeded products, totals as in
-- 030_orders.

INSERT INTO public.users (email, created_at, updated_at)
VALUES ('developer@example.test', '2024-01-01 00:00:00+00', '2024-01-01 00:00:00+00');

INSERT INTO public.user_profiles (user_id, display_name, bio, created_at, updated_at)
SELECT id, 'Local Developer', 'The account for trying the shop locally.', created_at, created_at
FROM public.users
WHERE email = 'developer@example.test';

CREATE TEMP TABLE seed_developer_items ON COMMIT DROP AS
SELECT id AS product_id, price_cents, 2 AS quantity
FROM public.products
WHERE sku ~ '^SKU-[0-9]{8}$'
ORDER BY price_cents, sku
LIMIT 2;

WITH totals AS (
    SELECT sum(quantity::bigint * price_cents) AS subtotal FROM seed_developer_items
), new_order AS (
    INSERT INTO public.orders (user_id, status, subtotal_cents, tax_cents, shipping_cents,
                               total_cents, placed_at, shipped_at)
    SELECT u.id, 'delivered', t.subtotal, round(t.subtotal * 0.08)::bigint,
           CASE WHEN t.subtotal >= 10000 THEN 0 ELSE 599 END,
           t.subtotal + round(t.subtotal * 0.08)::bigint
               + CASE WHEN t.subtotal >= 10000 THEN 0 ELSE 599 END,
           '2025-03-01 12:00:00+00', '2025-03-03 09:00:00+00'
    FROM public.users AS u, totals AS t
    WHERE u.email = 'developer@example.test'
    RETURNING id
)
INSERT INTO public.order_items (order_id, product_id, quantity, unit_price_cents, line_total_cents)
SELECT new_order.id, i.product_id, i.quantity, i.price_cents, i.quantity::bigint * i.price_cents
FROM new_order, seed_developer_items AS i;
