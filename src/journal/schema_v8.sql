-- The journal's schema, version 8: the mask of an edit (`wan edit --mask FILE`).

-- Where the mask was read (an absolute path) and its SHA-256, never its bytes, so that
-- `wan resume` and `wan regen` send the same mask again, or refuse when it changed.
ALTER TABLE runs ADD COLUMN mask TEXT;
ALTER TABLE runs ADD COLUMN mask_sha256 TEXT;
