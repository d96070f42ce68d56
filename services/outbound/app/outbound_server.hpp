// OutboundServer: synchub-outbound. Streams the outbound queue to connectors, one session
// per target source (protocol in proto/README.md):
//   connector DEALER -> Subscribe{source, credit}      (re)starts the stream at the source's
//                                                       acknowledged position
//   server    ROUTER -> Deliver{changes}                in position order, newest per record,
//                                                       at most `credit` unacknowledged
//   connector        -> Ack{up_to_seq, credit}          cumulative; the position is saved
//   both             -> Heartbeat every second; 3 s of silence ends a session
// The ROUTER is ROUTER_MANDATORY: a send to a connector that is gone fails instead of being
// dropped silently, and ends its session. Nothing but the acknowledged position is kept:
// after a restart of either side delivery resumes from it (at least once; the connector's
// apply is idempotent). New changes are picked up on NOTIFY synchub_outbound, with polling
// as the fallback.
//
// Thread safety: Run() on one thread; Stop() from any.
#pragma once

#include <atomic>
#include <chrono>
#include <map>
#include <memory>
#include <pqxx/pqxx>
#include <string>
#include <vector>
#include <zmq.hpp>

#include "common/core/clock.hpp"
#include "common/core/retry_policy.hpp"
#include "common/core/status.hpp"
#include "common/metrics/metrics_exposer.hpp"
#include "outbound/app/outbound_metrics.hpp"
#include "outbound/core/delivery_session.hpp"
#include "outbound/pg/outbound_store.hpp"

namespace synchub {

struct OutboundOptions {
  std::string conninfo;
  std::string listen = "tcp://127.0.0.1:5580";
  std::chrono::milliseconds poll_interval{200};  // fallback when no NOTIFY arrives
  std::chrono::milliseconds heartbeat{1000};
  std::chrono::milliseconds session_timeout{3000};  // silence that ends a session
  int max_batch = 500;
  std::string metrics_listen;    // HOST:PORT for Prometheus /metrics; empty: not served
  const Clock* clock = nullptr;  // the time source; nullptr: the steady clock
};

class OutboundServer {
 public:
  // Connects, binds. kUnavailable (database), kFailedPrecondition (schema), kInvalidArgument.
  static StatusOr<std::unique_ptr<OutboundServer>> Start(OutboundOptions options);

  std::string endpoint() const;
  // "http://HOST:PORT/metrics" (OutboundMetrics), or "" when --metrics-listen is not set.
  std::string metrics_url() const { return exposer_ ? exposer_->url() : std::string(); }
  // Serves until Stop(). When the database connection is lost (PostgreSQL restarting or
  // away, a backend terminated, a statement timeout) it keeps its sessions and heartbeats,
  // delivers nothing and saves no position meanwhile, and reconnects on ReconnectPolicy()'s
  // schedule; delivery resumes from each session's position (at least once).
  void Run();
  void Stop() { stopping_ = true; }

 private:
  explicit OutboundServer(OutboundOptions options);
  void HandleMessage(const std::string& identity, const std::string& payload);
  void Deliver(const std::string& source, DeliverySession& session);
  bool Send(const std::string& identity, const std::string& payload);
  // True when connected, reconnecting first when a reconnect is due.
  bool Connected();
  // Drops the connection after `error` (kUnavailable from the store); reconnects later.
  void Disconnect(const Status& error);
  // Disconnect()s when `status` says the connection is gone. Returns status.ok().
  bool Check(const Status& status);

  OutboundOptions options_;
  zmq::context_t context_{1};
  zmq::socket_t socket_;
  std::unique_ptr<pqxx::connection> connection_;
  std::unique_ptr<PgOutboundStore> store_;  // null while disconnected
  std::unique_ptr<pqxx::notification_receiver> wakeup_;
  Backoff reconnect_{ReconnectPolicy()};
  std::chrono::steady_clock::time_point next_connect_{};  // real time, whatever clock_ is
  const Clock& clock_;
  std::map<std::string, DeliverySession> sessions_;  // by source
  std::atomic<bool> stopping_{false};
  OutboundMetrics metrics_;
  std::unique_ptr<MetricsExposer> exposer_;
};

}  // namespace synchub
