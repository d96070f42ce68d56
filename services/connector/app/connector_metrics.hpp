// ConnectorMetrics: `synchub-connector run --metrics-listen HOST:PORT`'s Prometheus metrics,
// every one labelled `source` (docs/operations.md, "Health and metrics"):
//   synchub_connector_pushed_total{source, outcome}  local changes pushed to the hub, one per
//       row and attempt, by the hub's answer (connector::PushedOutcomeLabel: the hub's outcome,
//       DEFERRED, REJECTED, NOT_DECIDED)
//   synchub_connector_applied_total{source}          canonical changes applied to the local
//       tables (deliveries, settled answers, reverse loads, parked changes retried)
//   synchub_connector_outbox_pending_rows{source}    outbox rows waiting to be pushed
//   synchub_connector_outbox_oldest_pending_seconds{source}  the oldest waiting row's age
//   synchub_connector_parked_rows{source, direction} parked rows now: direction "outbound"
//       (outbox rows the hub kept rejecting), "inbound" (changes this database cannot hold)
//   synchub_connector_hub_silence_seconds{source}    seconds since the hub last answered (a
//       message of the outbound stream, heartbeats included, or an answer to a push)
//   synchub_connector_stats_refresh_failures_total{source}  failed reads of the figures above
// The outbox figures come from the local database (pg/outbox_stats.hpp), read by
// ConnectorStatsRefresher every 5 s on a connection of its own, not per scrape.
//
// Thread safety: every ConnectorMetrics method may be called from any thread.
#pragma once

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/registry.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <pqxx/pqxx>
#include <string>
#include <thread>

#include "common/core/clock.hpp"
#include "connector/core/connector_config.hpp"
#include "connector/core/connector_stats.hpp"

namespace synchub {

class ConnectorMetrics {
 public:
  // Registers the metrics in `registry`. The hub silence counts from now until the first
  // HubAnswered(). REQUIRES: `registry` and `clock` outlive this object.
  ConnectorMetrics(prometheus::Registry& registry, const std::string& source, const Clock& clock);

  // One pushed row, by its outcome label (connector::PushedOutcomeLabel).
  void Pushed(const std::string& outcome);
  // `changes` canonical changes applied locally (0 or less: nothing).
  void Applied(int changes);
  // The hub answered: a push's answer, or any message of the outbound stream.
  void HubAnswered();
  // Sets the outbox gauges from a fresh read.
  void SetOutboxStats(const connector::OutboxStats& stats);
  void StatsRefreshFailed();
  // Sets synchub_connector_hub_silence_seconds from the clock.
  void UpdateHubSilence();

 private:
  const Clock& clock_;
  const std::string source_;
  std::atomic<Clock::TimePoint::rep> last_answer_;  // clock ticks since its epoch
  prometheus::Family<prometheus::Counter>& pushed_;
  prometheus::Counter& applied_;
  prometheus::Gauge& pending_;
  prometheus::Gauge& oldest_pending_;
  prometheus::Family<prometheus::Gauge>& parked_;
  prometheus::Gauge& parked_outbound_;
  prometheus::Gauge& parked_inbound_;
  prometheus::Gauge& hub_silence_;
  prometheus::Counter& refresh_failures_;
};

// ConnectorStatsRefresher: a thread that reads the outbox figures every `every` (reconnecting
// as needed; a failed read counts in stats_refresh_failures_total and leaves the gauges as
// they were) and updates the hub silence every second, until `stop`.
// REQUIRES: `config`, `metrics` and `stop` outlive this object. Construct and destroy on one
// thread; the destructor joins (set `stop` first).
class ConnectorStatsRefresher {
 public:
  ConnectorStatsRefresher(const ConnectorConfig& config, ConnectorMetrics& metrics,
                          const std::atomic<bool>& stop,
                          std::chrono::seconds every = std::chrono::seconds(5));
  ~ConnectorStatsRefresher();
  ConnectorStatsRefresher(const ConnectorStatsRefresher&) = delete;
  ConnectorStatsRefresher& operator=(const ConnectorStatsRefresher&) = delete;

 private:
  void Run();
  // Reads the outbox figures once, (re)opening `connection` when needed.
  void ReadOnce(std::unique_ptr<pqxx::connection>& connection);

  const ConnectorConfig& config_;
  ConnectorMetrics& metrics_;
  const std::atomic<bool>& stop_;
  std::chrono::seconds every_;
  std::thread thread_;
};

}  // namespace synchub
