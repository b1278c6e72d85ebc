-- Removes the developer account, its order (items cascade) and its profile.
DELETE FROM public.orders
WHERE user_id IN (SELECT id FROM public.users WHERE email = 'developer@example.test');

DELETE FROM public.users WHERE email = 'developer@example.test';
