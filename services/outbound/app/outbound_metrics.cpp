#include "outbound/app/outbound_metrics.hpp"

namespace synchub {

OutboundMetrics::OutboundMetrics()
    : registry_(std::make_shared<prometheus::Registry>()),
      subscribers_(prometheus::BuildGauge()
                       .Name("synchub_outbound_subscribers")
                       .Help("Connectors with a live session")
                       .Register(*registry_)
                       .Add({})),
      database_connected_(prometheus::BuildGauge()
                              .Name("synchub_outbound_database_connected")
                              .Help("1 while connected to PostgreSQL, 0 while it is away")
                              .Register(*registry_)
                              .Add({})),
      reconnects_(prometheus::BuildCounter()
                      .Name("synchub_outbound_database_reconnects_total")
                      .Help("PostgreSQL connections reopened after a loss")
                      .Register(*registry_)
                      .Add({})),
      delivered_(prometheus::BuildCounter()
                     .Name("synchub_outbound_changes_delivered_total")
                     .Help("Changes sent to a target source (redeliveries included)")
                     .Register(*registry_)),
      delivered_seq_(prometheus::BuildGauge()
                         .Name("synchub_outbound_delivered_seq")
                         .Help("The last resolution-log seq sent to a target source")
                         .Register(*registry_)),
      acked_seq_(prometheus::BuildGauge()
                     .Name("synchub_outbound_acked_seq")
                     .Help("The last resolution-log seq a target source acknowledged")
                     .Register(*registry_)),
      unacknowledged_(prometheus::BuildGauge()
                          .Name("synchub_outbound_unacknowledged_records")
                          .Help("Records whose current canonical state a source has not "
                                "acknowledged: its copy may differ")
                          .Register(*registry_)),
      oldest_unacknowledged_(prometheus::BuildGauge()
                                 .Name("synchub_outbound_oldest_unacknowledged_seconds")
                                 .Help("Age of the oldest change a source has not acknowledged")
                                 .Register(*registry_)),
      loaded_(prometheus::BuildCounter()
                  .Name("synchub_outbound_load_records_total")
                  .Help("Canonical records sent to a target source by reverse loads")
                  .Register(*registry_)),
      ahead_(prometheus::BuildCounter()
                 .Name("synchub_outbound_sources_ahead_total")
                 .Help("Subscriptions whose last applied change the hub's log lacks (the hub's "
                       "database is older than the source: reloaded)")
                 .Register(*registry_)),
      refused_(prometheus::BuildCounter()
                   .Name("synchub_outbound_refused_messages_total")
                   .Help("Messages refused: naming another source than the sender's own, or "
                         "from a revoked credential")
                   .Register(*registry_)
                   .Add({})) {}

void OutboundMetrics::Refused() { refused_.Increment(); }

void OutboundMetrics::Loaded(const std::string& target, std::size_t records) {
  loaded_.Add({{"target", target}}).Increment(static_cast<double>(records));
}

void OutboundMetrics::SourceAhead(const std::string& target) {
  ahead_.Add({{"target", target}}).Increment();
}

void OutboundMetrics::DatabaseConnected(bool connected) {
  database_connected_.Set(connected ? 1 : 0);
}

void OutboundMetrics::DatabaseReconnected() { reconnects_.Increment(); }

void OutboundMetrics::Subscribers(std::size_t live) { subscribers_.Set(static_cast<double>(live)); }

void OutboundMetrics::Delivered(const std::string& target, std::size_t changes,
                                std::int64_t last_seq) {
  delivered_.Add({{"target", target}}).Increment(static_cast<double>(changes));
  delivered_seq_.Add({{"target", target}}).Set(static_cast<double>(last_seq));
}

void OutboundMetrics::Acked(const std::string& target, std::int64_t seq) {
  acked_seq_.Add({{"target", target}}).Set(static_cast<double>(seq));
}

void OutboundMetrics::Lag(const std::string& target, std::int64_t records, double oldest_seconds) {
  unacknowledged_.Add({{"target", target}}).Set(static_cast<double>(records));
  oldest_unacknowledged_.Add({{"target", target}}).Set(oldest_seconds);
}

}  // namespace synchub
