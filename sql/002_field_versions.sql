-- synchub hub schema, version 2: per-field versions (SPEC section 3, rung 4).
-- field_versions: field -> the version of the event that wrote the field's value. At the
-- same version only a value written at that version conflicts; an older one is replaced.
-- A field without an entry (records written before this migration) counts as written at the
-- record's version, which keeps the conflicts those records had.
ALTER TABLE canonical_record ADD COLUMN field_versions jsonb NOT NULL DEFAULT '{}';
