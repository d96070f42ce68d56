-- pgbench: 100 events per transaction: 100 record updates plus 100 outbox inserts.
\set base random(1, 9900)
BEGIN;
UPDATE bench_record SET version = version + 1, fields = jsonb_set(fields, '{n}', to_jsonb(id))
 WHERE id BETWEEN :base AND :base + 99;
INSERT INTO bench_outbox (record_id, payload)
SELECT g, '{"fullName":"x","email":"y"}' FROM generate_series(:base, :base + 99) AS g;
END;
