-- The journal's schema, version 9: a matrix of models (`-m A,B,C`), one run that asks
-- each prompt of each model.

-- The model each request was sent to. NULL in rows written before this version, whose
-- model is their run's.
ALTER TABLE requests ADD COLUMN model TEXT;

-- A matrix run's models in the order named, as JSON, which `wan resume` plans its
-- requests from again: [{"model", "per_request", "extra"}], `extra` each model's size and
-- --param fields. NULL for a run of one model, which `model`, `per_request` and `extra`
-- say; a matrix run's `model` is its models' names joined by commas, its `extra` the
-- first model's, and its `price` NULL (each request records its own list price).
ALTER TABLE runs ADD COLUMN models TEXT;
