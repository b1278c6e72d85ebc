-- safe-migrate: lock-timeout=5s
-- Many-to-many link between products and categories.
--
-- The two foreign keys lock the existing products and categories tables
-- (SHARE ROW EXCLUSIVE); give up quickly rather than queue behind traffic.
-- The primary key (product_id, category_id) serves lookups by product; the
-- index for lookups by category comes in 20260101090800_index_foreign_keys.

CREATE TABLE public.product_categories (
    product_id  bigint      NOT NULL,
    category_id bigint      NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT product_categories_pkey PRIMARY KEY (product_id, category_id),
    CONSTRAINT product_categories_product_id_fkey FOREIGN KEY (product_id)
        REFERENCES public.products (id) ON DELETE CASCADE,
    CONSTRAINT product_categories_category_id_fkey FOREIGN KEY (category_id)
        REFERENCES public.categories (id) ON DELETE CASCADE
);
