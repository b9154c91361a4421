-- The journal's schema, version 3: `--shard K/N`. A sharded run records which share of
-- its batch it ran, so that `wan resume`, `wan history` and `wan info` number its prompts
-- as in the file (its prompts are still kept from position 0, this shard's only).

ALTER TABLE runs ADD COLUMN shard TEXT;     -- "K/N", or NULL for a run of the whole batch
