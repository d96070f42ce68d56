// OutboundMetrics: synchub-outbound's Prometheus metrics (served with --metrics-listen).
//   synchub_outbound_subscribers                     connectors with a live session
//   synchub_outbound_changes_delivered_total{target} changes sent (redeliveries included)
//   synchub_outbound_delivered_seq{target}           the last resolution-log seq sent
//   synchub_outbound_acked_seq{target}               the last seq the connector acknowledged
//   synchub_outbound_unacknowledged_records{target}  records whose current canonical state the
//                                                    target has not acknowledged (its copy may
//                                                    differ); view source_lag, every 5 s
//   synchub_outbound_oldest_unacknowledged_seconds{target}  the age of the oldest such change
//   synchub_outbound_database_connected              1 while connected to PostgreSQL, 0 while
//                                                    it is away (sessions stay, nothing is
//                                                    delivered, acknowledgements wait)
//   synchub_outbound_database_reconnects_total       connections reopened after a loss
//   synchub_outbound_refused_messages_total          messages refused: naming a source that
//                                                    is not the sender's own, or from a
//                                                    revoked credential (docs/security.md)
// The hub's newest seq is `SELECT max(seq) FROM resolution_log`; a target's backlog is the
// distance to its acked seq (docs/operations.md).
//
// Thread safety: every method may be called from any thread.
#pragma once

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/registry.h>

#include <cstdint>
#include <memory>
#include <string>

namespace synchub {

class OutboundMetrics {
 public:
  OutboundMetrics();

  void Subscribers(std::size_t live);
  void Delivered(const std::string& target, std::size_t changes, std::int64_t last_seq);
  void Acked(const std::string& target, std::int64_t seq);
  void Lag(const std::string& target, std::int64_t records, double oldest_seconds);
  void DatabaseConnected(bool connected);
  void DatabaseReconnected();
  // A reverse load sent `records` canonical records to `target`.
  void Loaded(const std::string& target, std::size_t records);
  // `target` subscribed ahead of the hub's log (and is reloaded).
  void SourceAhead(const std::string& target);
  // A message refused (no label: the source it named is the sender's choice).
  void Refused();

  std::shared_ptr<prometheus::Registry> registry() const { return registry_; }

 private:
  std::shared_ptr<prometheus::Registry> registry_;
  prometheus::Gauge& subscribers_;
  prometheus::Gauge& database_connected_;
  prometheus::Counter& reconnects_;
  prometheus::Family<prometheus::Counter>& delivered_;
  prometheus::Family<prometheus::Gauge>& delivered_seq_;
  prometheus::Family<prometheus::Gauge>& acked_seq_;
  prometheus::Family<prometheus::Gauge>& unacknowledged_;
  prometheus::Family<prometheus::Gauge>& oldest_unacknowledged_;
  prometheus::Family<prometheus::Counter>& loaded_;
  prometheus::Family<prometheus::Counter>& ahead_;
  prometheus::Counter& refused_;
};

}  // namespace synchub
