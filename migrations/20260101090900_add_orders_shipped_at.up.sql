-- safe-migrate: lock-timeout=2s
-- Record when an order was shipped.
--
-- A nullable column with no default is a catalog-only change: no table
-- rewrite, no scan. It still needs a brief ACCESS EXCLUSIVE lock on orders,
-- so a short lock timeout stops it from queueing behind a long transaction
-- (and blocking every query queued behind it); on timeout, just retry.

ALTER TABLE public.orders
    ADD COLUMN shipped_at timestamptz;
