-- Tables for the pgbench baseline: what the database alone sustains on this machine.
DROP TABLE IF EXISTS bench_record, bench_outbox;
CREATE TABLE bench_record (id integer PRIMARY KEY, fields jsonb NOT NULL, version bigint NOT NULL);
INSERT INTO bench_record SELECT g, '{"fullName":"x","email":"y","n":0}', 1
  FROM generate_series(1, 10000) AS g;
CREATE TABLE bench_outbox (id bigserial PRIMARY KEY, record_id integer NOT NULL,
                           payload jsonb NOT NULL);
VACUUM ANALYZE bench_record;
