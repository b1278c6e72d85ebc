-- Removes the seeded users; their profiles go with them (ON DELETE CASCADE).
DELETE FROM public.users WHERE email ~ '^user[0-9]{7}@example\.test$';
