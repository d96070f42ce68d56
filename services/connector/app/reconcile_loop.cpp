#include "connector/app/reconcile_loop.hpp"

#include <spdlog/spdlog.h>

#include <optional>

#include "common/pg/connection.hpp"
#include "common/runtime/pause.hpp"
#include "connector/app/hub_reader.hpp"
#include "connector/app/reconcile_command.hpp"

namespace synchub {

ReconcileLoop::ReconcileLoop(const ConnectorConfig& config, std::chrono::seconds every,
                             prometheus::Registry& registry, const std::atomic<bool>& stop)
    : config_(config),
      every_(every),
      stop_(stop),
      differences_(prometheus::BuildGauge()
                       .Name("synchub_connector_reconcile_differences")
                       .Help("Rows that differ from the canonical records, found by the last "
                             "periodic reconcile, per entity and kind")
                       .Register(registry)),
      runs_(prometheus::BuildCounter()
                .Name("synchub_connector_reconcile_runs_total")
                .Help("Periodic reconciles, by result (equal, differences, failed)")
                .Register(registry)) {
  thread_ = std::thread([this] { Run(); });
}

ReconcileLoop::~ReconcileLoop() {
  if (thread_.joinable()) thread_.join();
}

void ReconcileLoop::Run() {
  while (!stop_) {
    PauseUnlessStopped(every_, stop_);
    if (stop_) return;
    CompareOnce();
  }
}

void ReconcileLoop::CompareOnce() {
  auto connection = ConnectPg(config_.database);
  if (!connection.ok()) {
    runs_.Add({{"source", config_.source}, {"result", "failed"}}).Increment();
    spdlog::warn("periodic reconcile: {}", connection.status().message());
    return;
  }
  HubReader hub(config_.api_url, config_.api_token);
  auto reports = CompareWithHub(**connection, config_, hub, ReconcileOptions{});
  if (!reports.ok()) {
    runs_.Add({{"source", config_.source}, {"result", "failed"}}).Increment();
    spdlog::warn("periodic reconcile: {}", reports.status().message());
    return;
  }
  bool equal = true;
  for (const auto& report : *reports) {
    const std::pair<const char*, std::int64_t> kinds[] = {
        {"missing_locally", report.missing_locally},
        {"missing_at_hub", report.missing_at_hub},
        {"differing", report.differing}};
    for (const auto& [kind, rows] : kinds) {
      differences_.Add({{"source", config_.source}, {"entity", report.entity}, {"kind", kind}})
          .Set(static_cast<double>(rows));
    }
    if (!report.differences.empty()) {
      equal = false;
      spdlog::warn(
          "periodic reconcile: {} differs from the hub: {} missing locally, {} missing at the hub, "
          "{} differing (first: {}); `synchub-connector reconcile --repair` repairs them",
          report.entity, report.missing_locally, report.missing_at_hub, report.differing,
          report.differences.front().key);
    }
  }
  runs_.Add({{"source", config_.source}, {"result", equal ? "equal" : "differences"}}).Increment();
  if (equal) spdlog::info("periodic reconcile: equal to the hub");
}

}  // namespace synchub
