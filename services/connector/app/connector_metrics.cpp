#include "connector/app/connector_metrics.hpp"

#include <spdlog/spdlog.h>

#include "common/pg/connection.hpp"
#include "common/runtime/pause.hpp"
#include "connector/pg/outbox_stats.hpp"

namespace synchub {

ConnectorMetrics::ConnectorMetrics(prometheus::Registry& registry, const std::string& source,
                                   const Clock& clock)
    : clock_(clock),
      source_(source),
      last_answer_(clock.Now().time_since_epoch().count()),
      pushed_(prometheus::BuildCounter()
                  .Name("synchub_connector_pushed_total")
                  .Help("Local changes pushed to the hub (per row and attempt), by the hub's "
                        "answer: its outcome, DEFERRED, REJECTED or NOT_DECIDED")
                  .Register(registry)),
      applied_(prometheus::BuildCounter()
                   .Name("synchub_connector_applied_total")
                   .Help("Canonical changes applied to the local tables")
                   .Register(registry)
                   .Add({{"source", source}})),
      pending_(prometheus::BuildGauge()
                   .Name("synchub_connector_outbox_pending_rows")
                   .Help("Outbox rows waiting to be pushed (not sent, not parked)")
                   .Register(registry)
                   .Add({{"source", source}})),
      oldest_pending_(prometheus::BuildGauge()
                          .Name("synchub_connector_outbox_oldest_pending_seconds")
                          .Help("Age of the oldest outbox row waiting to be pushed (0: none)")
                          .Register(registry)
                          .Add({{"source", source}})),
      parked_(prometheus::BuildGauge()
                  .Name("synchub_connector_parked_rows")
                  .Help("Parked rows now: outbound (outbox rows the hub kept rejecting), inbound "
                        "(changes this database cannot hold)")
                  .Register(registry)),
      parked_outbound_(parked_.Add({{"source", source}, {"direction", "outbound"}})),
      parked_inbound_(parked_.Add({{"source", source}, {"direction", "inbound"}})),
      hub_silence_(prometheus::BuildGauge()
                       .Name("synchub_connector_hub_silence_seconds")
                       .Help("Seconds since the hub last answered (outbound stream or a push)")
                       .Register(registry)
                       .Add({{"source", source}})),
      refresh_failures_(prometheus::BuildCounter()
                            .Name("synchub_connector_stats_refresh_failures_total")
                            .Help("Failed reads of the outbox figures from the local database")
                            .Register(registry)
                            .Add({{"source", source}})) {}

void ConnectorMetrics::Pushed(const std::string& outcome) {
  pushed_.Add({{"source", source_}, {"outcome", outcome}}).Increment();
}

void ConnectorMetrics::Applied(int changes) {
  if (changes > 0) applied_.Increment(changes);
}

void ConnectorMetrics::HubAnswered() {
  last_answer_.store(clock_.Now().time_since_epoch().count(), std::memory_order_relaxed);
  hub_silence_.Set(0);
}

void ConnectorMetrics::SetOutboxStats(const connector::OutboxStats& stats) {
  pending_.Set(static_cast<double>(stats.pending));
  oldest_pending_.Set(stats.oldest_pending_seconds);
  parked_outbound_.Set(static_cast<double>(stats.parked_outbound));
  parked_inbound_.Set(static_cast<double>(stats.parked_inbound));
}

void ConnectorMetrics::StatsRefreshFailed() { refresh_failures_.Increment(); }

void ConnectorMetrics::UpdateHubSilence() {
  const Clock::TimePoint last{
      Clock::TimePoint::duration(last_answer_.load(std::memory_order_relaxed))};
  hub_silence_.Set(connector::SecondsBetween(last, clock_.Now()));
}

ConnectorStatsRefresher::ConnectorStatsRefresher(const ConnectorConfig& config,
                                                 ConnectorMetrics& metrics,
                                                 const std::atomic<bool>& stop,
                                                 std::chrono::seconds every)
    : config_(config), metrics_(metrics), stop_(stop), every_(every) {
  thread_ = std::thread([this] { Run(); });
}

ConnectorStatsRefresher::~ConnectorStatsRefresher() {
  if (thread_.joinable()) thread_.join();
}

void ConnectorStatsRefresher::Run() {
  std::unique_ptr<pqxx::connection> connection;
  auto next_read = std::chrono::steady_clock::now();
  while (!stop_) {
    metrics_.UpdateHubSilence();
    if (std::chrono::steady_clock::now() >= next_read) {
      next_read = std::chrono::steady_clock::now() + every_;
      ReadOnce(connection);
    }
    PauseUnlessStopped(std::chrono::seconds(1), stop_);
  }
}

void ConnectorStatsRefresher::ReadOnce(std::unique_ptr<pqxx::connection>& connection) {
  if (!connection || !connection->is_open()) {
    auto opened = ConnectPg(config_.database);
    if (!opened.ok()) {
      metrics_.StatsRefreshFailed();
      spdlog::debug("metrics: {}", opened.status().message());
      return;
    }
    connection = std::move(opened).value();
  }
  auto stats = ReadOutboxStats(*connection);
  if (!stats.ok()) {
    metrics_.StatsRefreshFailed();
    spdlog::debug("metrics: {}", stats.status().message());
    return;
  }
  metrics_.SetOutboxStats(*stats);
}

}  // namespace synchub
