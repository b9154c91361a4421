-- The journal's schema, version 6: runs made offline.

-- 1 where the run went to the emulator inside `wan` (`--offline`): nothing was sent off
-- the machine and nothing billed, so `wan cost` leaves it out.
ALTER TABLE runs ADD COLUMN offline INTEGER NOT NULL DEFAULT 0;
