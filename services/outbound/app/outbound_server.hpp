// OutboundServer: synchub-outbound. Streams the outbound queue to connectors, one session
// per target source (protocol in proto/README.md):
//   connector DEALER -> Subscribe{source, credit}      (re)starts the stream at the source's
//                                                       acknowledged position
//   server    ROUTER -> Deliver{changes}                in position order, newest per record,
//                                                       at most `credit` unacknowledged
//   connector        -> Ack{up_to_seq, credit}          cumulative; the position is saved
//   both             -> Heartbeat every second; 3 s of silence ends a session
// A session may begin with a reverse load (outbound_loads.cpp; core/reverse_load.hpp): one
// LoadPage of canonical records at a time, each answered by a LoadAck whose position is saved,
// then the stream from where the load began.
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
#include <optional>
#include <pqxx/pqxx>
#include <string>
#include <vector>
#include <zmq.hpp>

#include "common/core/clock.hpp"
#include "common/core/retry_policy.hpp"
#include "common/core/status.hpp"
#include "common/metrics/metrics_exposer.hpp"
#include "common/zmq/zmq_auth.hpp"
#include "outbound/app/outbound_metrics.hpp"
#include "outbound/core/delivery_session.hpp"
#include "outbound/pg/outbound_store.hpp"
#include "synchub/v1/outbound.pb.h"

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
  // ZeroMQ security (docs/security.md): the server key pair (CURVE, ZAP domain
  // "synchub-outbound": source credentials only), unless `insecure`. Neither: Start fails
  // (kFailedPrecondition). Each message must name its sender's own source (subscribe, load
  // acknowledgement, acknowledgement, heartbeat); a session whose credential is revoked ends.
  std::string curve_secret_key_file;
  bool insecure = false;
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
  // `sender`: the credential behind the message (nullopt: revoked since the handshake).
  void HandleMessage(const std::string& identity, const std::string& payload,
                     const std::optional<Identity>& sender);
  void Deliver(const std::string& source, DeliverySession& session);
  bool Send(const std::string& identity, const std::string& payload);
  // True when connected, reconnecting first when a reconnect is due.
  bool Connected();
  // Drops the connection after `error` (kUnavailable from the store); reconnects later.
  void Disconnect(const Status& error);
  // Disconnect()s when `status` says the connection is gone. Returns status.ok().
  bool Check(const Status& status);

  // A reverse load in progress for a session (outbound_loads.cpp).
  struct ReverseLoad {
    std::uint64_t xid = 0;  // the stream resumes at (xid, 0) afterwards
    std::string after_entity;
    std::string after_key;
    std::string reason;
    bool reset = false;                 // the source is ahead of the log: LoadPage.reset
    std::vector<std::string> entities;  // the entities the source holds (empty: all)
    std::uint32_t credit = 0;           // of the stream that follows
    bool in_flight = false;             // a page is waiting for its LoadAck
    std::string sent_entity;            // the last record of the page in flight
    std::string sent_key;
    bool sent_last = false;
    bool sent_empty = false;
    Clock::TimePoint sent_at{};
    std::int64_t records = 0;  // sent so far in this process
  };
  // Starts or resumes `source`'s session as DecideSubscribe says.
  void BeginSession(const std::string& identity, const v1::Subscribe& subscribe);
  // Sends the next page of `source`'s load when none is in flight (or one was lost: 10 s).
  void SendLoadPage(const std::string& source, DeliverySession& session, ReverseLoad& load);
  // A LoadAck: saves the position; after the last page the stream starts.
  void HandleLoadAck(const std::string& identity, const v1::LoadAck& ack);
  // Starts a load for live sessions whose source an operator told to reload.
  void StartRequestedReloads();

  OutboundOptions options_;
  zmq::context_t context_{1};
  std::unique_ptr<CredentialCache> credentials_;  // null when insecure
  ZmqServerSecuritySetup security_;
  // By source: the credential of its live session (ended when that credential is revoked).
  std::map<std::string, std::int64_t> session_credentials_;
  zmq::socket_t socket_;
  std::unique_ptr<pqxx::connection> connection_;
  std::unique_ptr<PgOutboundStore> store_;  // null while disconnected
  std::unique_ptr<pqxx::notification_receiver> wakeup_;
  Backoff reconnect_{ReconnectPolicy()};
  std::chrono::steady_clock::time_point next_connect_{};  // real time, whatever clock_ is
  const Clock& clock_;
  std::map<std::string, DeliverySession> sessions_;  // by source
  std::map<std::string, ReverseLoad> loads_;         // by source, while its session loads
  // By source: what its last Subscribe said (for a reload an operator requests meanwhile).
  std::map<std::string, v1::Subscribe> subscriptions_;
  std::atomic<bool> stopping_{false};
  OutboundMetrics metrics_;
  std::unique_ptr<MetricsExposer> exposer_;
};

}  // namespace synchub
