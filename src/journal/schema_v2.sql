-- The journal's schema, version 2: video tasks. A `wan video create` run is a run of
-- its own (command `video`) with one request, the create; its task is recorded here the
-- moment the service names it, before the first poll, so `wan video wait` and
-- `wan resume` can take it up after a crash. The clip, once ready, is an `images` row
-- of that request (so `history`, `cost` and `info` count it like an image).

CREATE TABLE video_tasks (
    id          TEXT PRIMARY KEY,       -- the service's task id
    run_id      TEXT REFERENCES runs(id), -- NULL for a task only met by `wan video wait`
    request     INTEGER REFERENCES requests(id), -- the create
    image       INTEGER REFERENCES images(id),   -- the clip's row, once it is ready
    route       TEXT NOT NULL,          -- gateway | dashscope
    base_url    TEXT NOT NULL,
    model       TEXT,
    prompt      TEXT,
    state       TEXT NOT NULL,          -- running | completed | saved | failed | cancelled | expired | unknown
    status      TEXT,                   -- the service's own last word (in_progress, RUNNING…)
    progress    TEXT,                   -- the service's progress figure, as it gave it
    url         TEXT,                   -- the clip's link, once ready
    path        TEXT,                   -- absolute, once saved
    out_dir     TEXT,                   -- absolute; NULL: the folder `wan video wait` runs in
    stem        TEXT,                   -- the file stem
    price       INTEGER,                -- x-aisa-price-usd, micro-dollars, where reported
    error       TEXT,                   -- why it did not end saved
    created     TEXT NOT NULL,          -- RFC 3339, UTC
    updated     TEXT NOT NULL
);

CREATE INDEX video_tasks_by_created ON video_tasks(created);
CREATE INDEX video_tasks_by_run ON video_tasks(run_id);
