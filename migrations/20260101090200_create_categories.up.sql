-- Product categories, arranged as a tree through a nullable parent_id.

CREATE TABLE public.categories (
    id         bigint GENERATED ALWAYS AS IDENTITY,
    slug       text        NOT NULL,
    name       text        NOT NULL,
    parent_id  bigint,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT categories_pkey PRIMARY KEY (id),
    CONSTRAINT categories_slug_key UNIQUE (slug),
    CONSTRAINT categories_parent_id_fkey FOREIGN KEY (parent_id)
        REFERENCES public.categories (id),
    CONSTRAINT categories_parent_not_self CHECK (parent_id <> id)
);

-- The table is brand new and empty, so a plain CREATE INDEX here is
-- instantaneous and may share the transaction with CREATE TABLE.
CREATE INDEX categories_parent_id_idx ON public.categories (parent_id);

CREATE TRIGGER categories_set_updated_at
    BEFORE UPDATE ON public.categories
    FOR EACH ROW
    EXECUTE FUNCTION public.set_updated_at();
