-- Removes the seeded products (their category links cascade) and categories.
DELETE FROM public.products WHERE sku ~ '^SKU-[0-9]{8}$';

DELETE FROM public.categories
WHERE slug IN ('electronics', 'home', 'books', 'outdoors', 'phones', 'computers', 'kitchen',
               'furniture', 'fiction', 'camping');
