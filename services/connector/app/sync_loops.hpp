// SyncLoops: the connector's app layer. Two threads:
//   push  local changes from the outbox to the hub (OutboxPusher), woken by NOTIFY
//         synchub_outbox; a failed round is retried on the connector's RetryPolicy; parked
//         rows are reported to the hub as dead letters;
//   pull  the hub's changes from synchub-outbound (a DEALER session: Subscribe, Deliver, Ack,
//         Heartbeat, and LoadPage/LoadAck of a reverse load; proto/README.md), applied by
//         InboundApplier; acknowledged only after
//         they are applied; held answers are settled every 2 s, parked inbound changes
//         retried every 10 s; 3 s without a word from the hub starts a new session, which
//         resumes from the last acknowledgement.
// With OutboxPusher (outbox_pusher.hpp) this is the one place that decides what a failure
// leads to (retry, new session, report); the pg adapters only classify errors (Status codes,
// pg_errors.hpp).
//
// Thread safety: construct and Join() from one thread; `stop` may be set from any.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <thread>
#include <vector>
#include <zmq.hpp>

#include "common/core/retry_policy.hpp"
#include "connector/app/connector_metrics.hpp"
#include "connector/core/connector_config.hpp"
#include "connector/pg/connector_sync.hpp"
#include "synchub/v1/outbound.pb.h"

namespace synchub {

struct SyncLoopTimings {
  std::chrono::milliseconds heartbeat{1000};
  std::chrono::milliseconds hub_silence{3000};    // then subscribe again
  std::chrono::milliseconds settle_held{2000};    // SettleHeld sweep
  std::chrono::milliseconds retry_parked{10000};  // RetryParked sweep
  RetryPolicy push_retry = ReconnectPolicy();     // after a failed push round
};

class SyncLoops {
 public:
  // Starts both threads. REQUIRES: `config`, `context`, `stop` and `metrics` (when given: what
  // is pushed, applied and heard from the hub is counted there) outlive this object.
  SyncLoops(const ConnectorConfig& config, zmq::context_t& context, const std::atomic<bool>& stop,
            ConnectorMetrics* metrics = nullptr, SyncLoopTimings timings = {});
  ~SyncLoops() { Join(); }

  // Waits until both threads ended (after `stop` became true).
  void Join();

 private:
  void PushLoop();
  void PullLoop();
  // Applies a reverse load's page and acknowledges it; false when it could not be applied
  // (not acknowledged).
  bool ApplyLoadPage(InboundApplier& applier, pqxx::connection& connection,
                     const v1::LoadPage& page,
                     const std::function<void(const v1::ConnectorToHub&)>& send);

  const ConnectorConfig& config_;
  zmq::context_t& context_;
  const std::atomic<bool>& stop_;
  ConnectorMetrics* metrics_;  // may be null
  SyncLoopTimings timings_;
  std::thread push_;
  std::thread pull_;
  // The pull thread's reverse load: records received, and the last acknowledged position
  // (what an empty page acknowledges).
  std::int64_t loaded_ = 0;
  std::int64_t kept_ = 0;               // local rows kept (DecideLoad) in this load
  std::vector<std::string> kept_keys_;  // the first 10 of them
  std::string last_load_entity_;
  std::string last_load_key_;
};

}  // namespace synchub
