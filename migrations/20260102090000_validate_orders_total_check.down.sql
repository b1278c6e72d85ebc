-- safe-migrate: lock-timeout=2s
-- Undo 20260102090000_validate_orders_total_check: return the constraint to
-- its NOT VALID state.
--
-- PostgreSQL has no "un-validate", so drop and re-add it NOT VALID in one
-- transaction. Both steps are catalog-only (no scan); the rule stays
-- enforced for new writes throughout because the runner wraps this file in
-- a single transaction.

ALTER TABLE public.orders
    DROP CONSTRAINT orders_total_cents_check;

ALTER TABLE public.orders
    ADD CONSTRAINT orders_total_cents_check
    CHECK (total_cents = subtotal_cents + tax_cents + shipping_cents)
    NOT VALID;
