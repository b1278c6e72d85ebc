-- safe-migrate: lock-timeout=5s
-- Orders placed by users. Money is kept in integer cents (bigint) to avoid
-- floating-point rounding. The rule tying total to its parts is added later
-- (NOT VALID, then validated) to show the online-safe pattern.
--
-- The foreign key locks the existing users table; hence the lock timeout.

CREATE TABLE public.orders (
    id             bigint GENERATED ALWAYS AS IDENTITY,
    user_id        bigint      NOT NULL,
    status         text        NOT NULL DEFAULT 'pending',
    subtotal_cents bigint      NOT NULL DEFAULT 0,
    tax_cents      bigint      NOT NULL DEFAULT 0,
    shipping_cents bigint      NOT NULL DEFAULT 0,
    total_cents    bigint      NOT NULL DEFAULT 0,
    placed_at      timestamptz,
    created_at     timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT orders_pkey PRIMARY KEY (id),
    CONSTRAINT orders_user_id_fkey FOREIGN KEY (user_id)
        REFERENCES public.users (id),
    CONSTRAINT orders_status_check CHECK (status IN (
        'pending', 'paid', 'shipped', 'delivered', 'cancelled', 'refunded'
    )),
    CONSTRAINT orders_amounts_nonnegative CHECK (
        subtotal_cents >= 0 AND tax_cents >= 0
        AND shipping_cents >= 0 AND total_cents >= 0
    )
);

CREATE TRIGGER orders_set_updated_at
    BEFORE UPDATE ON public.orders
    FOR EACH ROW
    EXECUTE FUNCTION public.set_updated_at();
