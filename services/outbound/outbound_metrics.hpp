// OutboundMetrics: synchub-outbound's Prometheus metrics (served with --metrics-listen).
//   synchub_outbound_subscribers                     connectors with a live session
//   synchub_outbound_changes_delivered_total{target} changes sent (redeliveries included)
//   synchub_outbound_delivered_seq{target}           the last resolution-log seq sent
//   synchub_outbound_acked_seq{target}               the last seq the connector acknowledged
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

  std::shared_ptr<prometheus::Registry> registry() const { return registry_; }

 private:
  std::shared_ptr<prometheus::Registry> registry_;
  prometheus::Gauge& subscribers_;
  prometheus::Family<prometheus::Counter>& delivered_;
  prometheus::Family<prometheus::Gauge>& delivered_seq_;
  prometheus::Family<prometheus::Gauge>& acked_seq_;
};

}  // namespace synchub
