-- synchub hub schema, version 3: how far each source is from the canonical records
-- (issue 11, "divergence is visible"). Per registered source: how many records have a change
-- queued for it that its connector has not acknowledged yet (so its copy may differ from the
-- canonical record), and the age of the oldest such change. A source that never connected
-- counts everything ever queued for it.
CREATE VIEW source_lag AS
SELECT s.source,
       count(DISTINCT (r.entity, r.external_id)) FILTER (WHERE r.seq IS NOT NULL)
         AS unacknowledged_records,
       coalesce(extract(epoch FROM now() - min(r.resolved_at)), 0)::double precision
         AS oldest_unacknowledged_seconds
  FROM source_priority s
  LEFT JOIN outbound_cursor c ON c.target_source = s.source
  LEFT JOIN resolution_log r
         ON r.targets <> '{}' AND s.source = ANY (r.targets)
        AND (r.xid, r.seq) > (coalesce(c.xid, '0'::xid8), coalesce(c.seq, 0))
 GROUP BY s.source;
