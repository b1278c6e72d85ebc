-- Products, with a stored full-text search vector.
--
-- A STORED generated column forces a full table rewrite when added to an
-- existing table; here the table is created in this same migration, so
-- there is nothing to rewrite.

CREATE TABLE public.products (
    id          bigint GENERATED ALWAYS AS IDENTITY,
    sku         text        NOT NULL,
    name        text        NOT NULL,
    description text,
    price_cents integer     NOT NULL,
    active      boolean     NOT NULL DEFAULT true,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    search      tsvector GENERATED ALWAYS AS (
                    to_tsvector('english',
                                coalesce(name, '') || ' ' || coalesce(description, ''))
                ) STORED,
    CONSTRAINT products_pkey PRIMARY KEY (id),
    CONSTRAINT products_sku_key UNIQUE (sku),
    CONSTRAINT products_price_cents_check CHECK (price_cents >= 0)
);

CREATE TRIGGER products_set_updated_at
    BEFORE UPDATE ON public.products
    FOR EACH ROW
    EXECUTE FUNCTION public.set_updated_at();
