-- synchub hub schema, version 5: reverse load (issue 14). A source that subscribes for the
-- first time, that an operator told to reload, or whose position is not in the hub's log
-- (the hub's database was restored from an older backup) first receives every canonical
-- record of the entities it holds, tombstones included, and then the change stream from the
-- position where that load began (docs/design.md, "Reverse load").
ALTER TABLE outbound_cursor
  -- The load in progress: the oldest transaction running when it began (the stream resumes
  -- at (load_xid, 0) once it is done) and the last record the connector applied, in key
  -- order. NULL: no load in progress.
  ADD COLUMN load_xid          xid8,
  ADD COLUMN load_after_entity text COLLATE "C",
  ADD COLUMN load_after_key    text COLLATE "C",
  ADD COLUMN load_started_at   timestamptz,
  -- Set by an operator (syncctl sources reload NAME): the next session starts with a load.
  ADD COLUMN reload_requested  boolean NOT NULL DEFAULT false,
  -- Why the last load ran, and when it ended.
  ADD COLUMN load_reason       text,
  ADD COLUMN loaded_at         timestamptz;
