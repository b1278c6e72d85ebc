-- safe-migrate: lock-timeout=2s
-- Enforce total_cents = subtotal_cents + tax_cents + shipping_cents.
--
-- Added NOT VALID: new and updated rows are checked from now on, but the
-- existing rows are not scanned, so the ACCESS EXCLUSIVE lock is held only
-- for a catalog update. The lock timeout keeps us from queueing behind long
-- transactions. Existing rows are checked by VALIDATE CONSTRAINT in a later,
-- separate migration (20260102090000_validate_orders_total_check), which
-- only needs a SHARE UPDATE EXCLUSIVE lock that does not block reads/writes.

ALTER TABLE public.orders
    ADD CONSTRAINT orders_total_cents_check
    CHECK (total_cents = subtotal_cents + tax_cents + shipping_cents)
    NOT VALID;
