// `synchub-connector run --reconcile-every DURATION`: compares the tables with the hub every
// DURATION (reconcile_command.hpp's CompareWithHub; nothing is repaired), logs what differs and
// sets synchub_connector_reconcile_differences{source, entity, kind} (kind: missing_locally,
// missing_at_hub, differing) and synchub_connector_reconcile_runs_total{source, result}.
// Thread safety: construct and destroy on one thread; the loop runs on a thread of its own.
#pragma once

#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/registry.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <thread>

#include "connector/core/connector_config.hpp"

namespace synchub {

class ReconcileLoop {
 public:
  // Starts the loop; its first comparison runs after `every`. REQUIRES: `config`, `registry`
  // and `stop` outlive this object.
  ReconcileLoop(const ConnectorConfig& config, std::chrono::seconds every,
                prometheus::Registry& registry, const std::atomic<bool>& stop);
  ~ReconcileLoop();

 private:
  void Run();
  void CompareOnce();

  const ConnectorConfig& config_;
  std::chrono::seconds every_;
  const std::atomic<bool>& stop_;
  prometheus::Family<prometheus::Gauge>& differences_;
  prometheus::Family<prometheus::Counter>& runs_;
  std::thread thread_;
};

}  // namespace synchub
