#include "resolver/app/resolver_metrics.hpp"

namespace synchub {

ResolverMetrics::ResolverMetrics()
    : registry_(std::make_shared<prometheus::Registry>()),
      events_(prometheus::BuildCounter()
                  .Name("synchub_resolver_events_total")
                  .Help("Events answered by the resolver, by outcome")
                  .Register(*registry_)),
      dead_letters_(prometheus::BuildCounter()
                        .Name("synchub_resolver_dead_letters_total")
                        .Help("Dead letters written, by reason")
                        .Register(*registry_)),
      batch_events_(prometheus::BuildHistogram()
                        .Name("synchub_resolver_batch_events")
                        .Help("Events per micro-batch transaction")
                        .Register(*registry_)
                        .Add({}, prometheus::Histogram::BucketBoundaries{1, 2, 5, 10, 25, 50, 100,
                                                                         250, 500, 1000})),
      batch_seconds_(
          prometheus::BuildHistogram()
              .Name("synchub_resolver_batch_seconds")
              .Help("Time to decide and commit one micro-batch")
              .Register(*registry_)
              .Add({}, prometheus::Histogram::BucketBoundaries{0.001, 0.0025, 0.005, 0.01, 0.025,
                                                               0.05, 0.1, 0.25, 0.5, 1, 2.5})),
      batches_failed_(prometheus::BuildCounter()
                          .Name("synchub_resolver_batches_failed_total")
                          .Help("Micro-batches not decided (the database could not be reached)")
                          .Register(*registry_)
                          .Add({})),
      deferred_reruns_(prometheus::BuildCounter()
                           .Name("synchub_resolver_deferred_reruns_total")
                           .Help("Deferred events re-run by the scheduler")
                           .Register(*registry_)
                           .Add({})),
      workers_disconnected_(prometheus::BuildGauge()
                                .Name("synchub_resolver_workers_disconnected")
                                .Help("Workers without a database connection (they answer "
                                      "UNAVAILABLE until it is back)")
                                .Register(*registry_)
                                .Add({})),
      reconnects_(prometheus::BuildCounter()
                      .Name("synchub_resolver_database_reconnects_total")
                      .Help("Database connections opened by workers after the first")
                      .Register(*registry_)
                      .Add({})),
      keys_pruned_(prometheus::BuildCounter()
                       .Name("synchub_resolver_idempotency_keys_pruned_total")
                       .Help("Idempotency keys forgotten past the idempotency window")
                       .Register(*registry_)
                       .Add({})),
      log_partitions_(prometheus::BuildGauge()
                          .Name("synchub_resolver_log_partitions")
                          .Help("Partitions of the resolution log (after the last retention run)")
                          .Register(*registry_)
                          .Add({})),
      log_bytes_(prometheus::BuildGauge()
                     .Name("synchub_resolver_log_bytes")
                     .Help("Bytes of the resolution log, indexes included (last retention run)")
                     .Register(*registry_)
                     .Add({})),
      log_events_dropped_(prometheus::BuildCounter()
                              .Name("synchub_resolver_log_events_dropped_total")
                              .Help("Resolution-log events dropped by the retention policy")
                              .Register(*registry_)
                              .Add({})),
      log_reloads_(prometheus::BuildCounter()
                       .Name("synchub_resolver_log_lag_cap_reloads_total")
                       .Help("Sources marked for a reverse load because retention dropped "
                             "changes they had not acknowledged (past the lag cap)")
                       .Register(*registry_)
                       .Add({})),
      maintenance_failures_(prometheus::BuildCounter()
                                .Name("synchub_resolver_log_maintenance_failures_total")
                                .Help("Log maintenance runs (partitions, retention) that failed")
                                .Register(*registry_)
                                .Add({})) {
  // Every reason's series exists from the start at 0: a series born at 1 would hide the first
  // dead letter of its reason from increase() (deploy/prometheus/alerts.yml).
  for (DeadLetterReason reason : AllDeadLetterReasons()) {
    dead_letters_.Add({{"reason", std::string(DeadLetterReasonName(reason))}});
  }
}

void ResolverMetrics::Answered(const std::string& outcome, int events) {
  events_.Add({{"outcome", outcome}}).Increment(events);
}

void ResolverMetrics::DeadLetter(DeadLetterReason reason) {
  dead_letters_.Add({{"reason", std::string(DeadLetterReasonName(reason))}}).Increment();
}

void ResolverMetrics::Batch(std::size_t events, double seconds, bool decided) {
  batch_events_.Observe(static_cast<double>(events));
  if (decided) {
    batch_seconds_.Observe(seconds);
  } else {
    batches_failed_.Increment();
  }
}

void ResolverMetrics::DeferredRerun() { deferred_reruns_.Increment(); }

void ResolverMetrics::WorkerDisconnected(int delta) {
  workers_disconnected_.Increment(static_cast<double>(delta));
}

void ResolverMetrics::DatabaseReconnected() { reconnects_.Increment(); }

void ResolverMetrics::KeysPruned(std::int64_t count) {
  keys_pruned_.Increment(static_cast<double>(count));
}

void ResolverMetrics::LogRetention(int partitions, std::int64_t bytes, std::int64_t dropped,
                                   std::size_t reloads) {
  log_partitions_.Set(partitions);
  log_bytes_.Set(static_cast<double>(bytes));
  log_events_dropped_.Increment(static_cast<double>(dropped));
  log_reloads_.Increment(static_cast<double>(reloads));
}

void ResolverMetrics::MaintenanceFailed() { maintenance_failures_.Increment(); }

}  // namespace synchub
