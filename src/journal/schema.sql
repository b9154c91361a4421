-- The journal's schema, version 1. Each later version is a file of its own, applied in
-- order by `migrate` (src/journal/mod.rs); `PRAGMA user_version` says which have run.
-- Never in here: the API key, base64 image data, reference image bytes.

-- One `generate`, `edit` (or later `video create`) run.
CREATE TABLE runs (
    id           TEXT PRIMARY KEY,      -- short hex id, shown by `wan history`
    started      TEXT NOT NULL,         -- RFC 3339, UTC
    finished     TEXT,                  -- set when the run ends
    pid          INTEGER NOT NULL,      -- to tell a dead "running" run from a live one
    command      TEXT NOT NULL,         -- generate | edit
    model        TEXT NOT NULL,
    route        TEXT NOT NULL,         -- auto | chat | images, as asked
    base_url     TEXT NOT NULL,
    out_dir      TEXT NOT NULL,         -- absolute path
    stem         TEXT,                  -- --name, or NULL for each prompt's slug
    count        INTEGER NOT NULL,      -- images asked per prompt
    per_request  INTEGER NOT NULL,      -- images per request at most
    prompts      INTEGER NOT NULL,      -- how many prompts
    extra        TEXT NOT NULL,         -- the size and --param fields, as JSON
    price        INTEGER,               -- list price per image, micro-dollars; NULL if unknown
    state        TEXT NOT NULL          -- running | done | partial | interrupted
);

-- The prompts of a run, in order (position from 0).
CREATE TABLE prompts (
    run_id    TEXT NOT NULL REFERENCES runs(id),
    position  INTEGER NOT NULL,
    prompt    TEXT NOT NULL,
    PRIMARY KEY (run_id, position)
) WITHOUT ROWID;

-- Reference images: where they came from and their SHA-256, never their bytes.
CREATE TABLE refs (
    run_id    TEXT NOT NULL REFERENCES runs(id),
    position  INTEGER NOT NULL,
    source    TEXT NOT NULL,            -- a path (absolute) or URL, or "-" for stdin
    sha256    TEXT,                     -- NULL for a URL passed through unread
    PRIMARY KEY (run_id, position)
) WITHOUT ROWID;

-- A request is recorded as `sent` before it is sent; requests not recorded yet are
-- planned (each prompt's count says how many there are).
CREATE TABLE requests (
    id          INTEGER PRIMARY KEY,
    run_id      TEXT NOT NULL REFERENCES runs(id),
    prompt      INTEGER NOT NULL,       -- position of its prompt
    chunk       INTEGER NOT NULL,       -- which request of that prompt, from 0
    n           INTEGER NOT NULL,
    state       TEXT NOT NULL,          -- sent | answered | failed | unknown
    sent_at     TEXT NOT NULL,
    status      INTEGER,                -- HTTP status of the answer
    code        TEXT,                   -- the API's error code
    message     TEXT,                   -- what failed, for a failed request
    request_id  TEXT,                   -- the service's
    returned    INTEGER,                -- images the answer held (billed)
    price       INTEGER,                -- x-aisa-price-usd, micro-dollars, where reported
    UNIQUE (run_id, prompt, chunk)
);

-- Each image an answer held: its URL (or "base64") before the download starts.
CREATE TABLE images (
    id          INTEGER PRIMARY KEY,
    request     INTEGER NOT NULL REFERENCES requests(id),
    position    INTEGER NOT NULL,       -- its place in the answer
    source      TEXT NOT NULL,          -- the URL, or "base64"
    state       TEXT NOT NULL,          -- pending | saved | failed | expired
    path        TEXT,                   -- absolute, once saved
    bytes       INTEGER,
    format      TEXT,
    sha256      TEXT,
    message     TEXT,                   -- why it was not saved
    saved_at    TEXT
);

CREATE INDEX images_by_sha256 ON images(sha256);
CREATE INDEX images_by_request ON images(request);
CREATE INDEX requests_by_run ON requests(run_id);
CREATE INDEX runs_by_start ON runs(started);
