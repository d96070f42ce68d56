-- A demo source's local database: the seed's LocalRecords (clients) and orders.
CREATE TABLE IF NOT EXISTS local_records (
  external_id text PRIMARY KEY,
  full_name   text,
  email       text,
  version     bigint NOT NULL DEFAULT 1
);
CREATE TABLE IF NOT EXISTS local_orders (
  external_id text PRIMARY KEY,
  client_id   text,
  amount      numeric,
  version     bigint NOT NULL DEFAULT 1
);
