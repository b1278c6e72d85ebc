-- Removes the seeded users' orders; their items go with them (ON DELETE CASCADE).
DELETE FROM public.orders
WHERE user_id IN (SELECT id FROM public.users WHERE email ~ '^user[0-9]{7}@example\.test$');
