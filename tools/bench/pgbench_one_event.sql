-- pgbench: one event per transaction: an update of a record plus one outbox insert.
\set id random(1, 10000)
BEGIN;
UPDATE bench_record SET version = version + 1, fields = jsonb_set(fields, '{n}', to_jsonb(:id))
 WHERE id = :id;
INSERT INTO bench_outbox (record_id, payload) VALUES (:id, '{"fullName":"x","email":"y"}');
END;
