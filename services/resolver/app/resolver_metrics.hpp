// ResolverMetrics: synchub-resolver's Prometheus metrics (served with --metrics-listen).
//   synchub_resolver_events_total{outcome}          events answered, by ladder outcome; also
//                                                   DEAD_LETTER, REJECTED (invalid),
//                                                   EVENT_ID_REUSED (a key reused for other
//                                                   content: refused), UNAVAILABLE (batch not
//                                                   decided: resent) and OPERATOR_WRITE
//                                                   (operator edits and resolutions made)
//   synchub_resolver_dead_letters_total{reason}     dead letters written (events and reports);
//                                                   every reason's series from the start, at 0
//   synchub_resolver_batch_events                   events per micro-batch transaction
//   synchub_resolver_batch_seconds                  time to decide and commit one micro-batch
//   synchub_resolver_batches_failed_total           micro-batches not decided (database down)
//   synchub_resolver_deferred_reruns_total          deferred events re-run by the scheduler
//   synchub_resolver_workers_disconnected           workers without a database connection now
//                                                   (they answer UNAVAILABLE at once)
//   synchub_resolver_database_reconnects_total      database connections (re)opened by workers
//   synchub_resolver_idempotency_keys_pruned_total  keys forgotten past --idempotency-window
//   synchub_resolver_log_partitions                 partitions of the resolution log
//   synchub_resolver_log_bytes                      its bytes, indexes included
//   synchub_resolver_log_events_dropped_total       events dropped by the retention policy
//   synchub_resolver_log_lag_cap_reloads_total      sources reloaded: changes they had not
//                                                   acknowledged were dropped (past --lag-cap)
//   synchub_resolver_log_maintenance_failures_total maintenance runs that failed
//
// Thread safety: every method may be called from any thread.
#pragma once

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include <cstdint>
#include <memory>
#include <string>

#include "common/core/dead_letter_reason.hpp"

namespace synchub {

class ResolverMetrics {
 public:
  ResolverMetrics();

  void Answered(const std::string& outcome, int events = 1);
  void DeadLetter(DeadLetterReason reason);
  void Batch(std::size_t events, double seconds, bool decided);
  void DeferredRerun();
  // A worker lost (+1) or regained (-1) its database connection.
  void WorkerDisconnected(int delta);
  void DatabaseReconnected();
  void KeysPruned(std::int64_t count);
  // After a retention run: the log's partitions and bytes now, events dropped, sources reloaded.
  void LogRetention(int partitions, std::int64_t bytes, std::int64_t dropped, std::size_t reloads);
  void MaintenanceFailed();

  std::shared_ptr<prometheus::Registry> registry() const { return registry_; }

 private:
  std::shared_ptr<prometheus::Registry> registry_;
  prometheus::Family<prometheus::Counter>& events_;
  prometheus::Family<prometheus::Counter>& dead_letters_;
  prometheus::Histogram& batch_events_;
  prometheus::Histogram& batch_seconds_;
  prometheus::Counter& batches_failed_;
  prometheus::Counter& deferred_reruns_;
  prometheus::Gauge& workers_disconnected_;
  prometheus::Counter& reconnects_;
  prometheus::Counter& keys_pruned_;
  prometheus::Gauge& log_partitions_;
  prometheus::Gauge& log_bytes_;
  prometheus::Counter& log_events_dropped_;
  prometheus::Counter& log_reloads_;
  prometheus::Counter& maintenance_failures_;
};

}  // namespace synchub
