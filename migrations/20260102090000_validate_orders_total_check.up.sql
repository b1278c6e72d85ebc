-- safe-migrate: lock-timeout=2s
-- safe-migrate: statement-timeout=30min
-- Validate orders_total_cents_check against the rows that existed before it
-- was added (NOT VALID in 20260101091000_add_orders_total_check).
--
-- Kept separate from the ADD so that the full-table scan happens under a
-- SHARE UPDATE EXCLUSIVE lock, which does not block reads or writes. If any
-- existing row violates the rule this fails; fix the data and re-run.

ALTER TABLE public.orders
    VALIDATE CONSTRAINT orders_total_cents_check;
