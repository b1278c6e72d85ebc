-- safe-migrate: lock-timeout=5s
-- Line items of an order. unit_price_cents is copied from the product at
-- order time so later price changes do not rewrite history.
--
-- The foreign keys lock the existing orders and products tables; hence the
-- lock timeout.

CREATE TABLE public.order_items (
    id               bigint GENERATED ALWAYS AS IDENTITY,
    order_id         bigint      NOT NULL,
    product_id       bigint      NOT NULL,
    quantity         integer     NOT NULL,
    unit_price_cents integer     NOT NULL,
    line_total_cents bigint      NOT NULL,
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT order_items_pkey PRIMARY KEY (id),
    CONSTRAINT order_items_order_id_fkey FOREIGN KEY (order_id)
        REFERENCES public.orders (id) ON DELETE CASCADE,
    CONSTRAINT order_items_product_id_fkey FOREIGN KEY (product_id)
        REFERENCES public.products (id),
    CONSTRAINT order_items_quantity_check CHECK (quantity > 0),
    CONSTRAINT order_items_unit_price_cents_check CHECK (unit_price_cents >= 0),
    -- Cast to bigint so a large quantity * price cannot overflow integer.
    CONSTRAINT order_items_line_total_check
        CHECK (line_total_cents = quantity::bigint * unit_price_cents)
);

CREATE TRIGGER order_items_set_updated_at
    BEFORE UPDATE ON public.order_items
    FOR EACH ROW
    EXECUTE FUNCTION public.set_updated_at();
