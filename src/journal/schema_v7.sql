-- The journal's schema, version 7: what each file of a run says of itself.

-- 0 where the run wrote its files exactly as served (`--no-metadata`), and 0 where its
-- label left the prompt out (`--no-prompt-in-file`): `wan resume` saves the run's late
-- files as the run saved its others. Runs from before this version wrote both (1).
ALTER TABLE runs ADD COLUMN metadata INTEGER NOT NULL DEFAULT 1;
ALTER TABLE runs ADD COLUMN prompt_in_file INTEGER NOT NULL DEFAULT 1;
