-- The journal's schema, version 4: what `wan resume` needs to pay for nothing twice when
-- a run was killed at the wrong moment or its journal failed under it.

-- While an image is being moved into place its row is `placing`: its path, bytes, format
-- and SHA-256 are on disk first, with the temporary file it is in, so that a run killed
-- between the move and its record leaves an image a resume finds instead of fetching.
-- A link that answered as expired at the run and again at a resume is `gone`.
-- images.state: pending | placing | saved | failed | expired | gone
ALTER TABLE images ADD COLUMN part TEXT;

-- NULL: the run's record is whole. `incomplete`: the journal failed while the run went on,
-- so requests may have been sent that it holds no record of; `wan resume` sends none of
-- the run's planned requests unless told to, and history and cost say so.
ALTER TABLE runs ADD COLUMN record TEXT;
