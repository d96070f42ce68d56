#include "connector/app/sync_loops.hpp"

#include <spdlog/spdlog.h>

#include "common/pg/connection.hpp"
#include "common/runtime/pause.hpp"
#include "common/runtime/steady_clock.hpp"
#include "common/zmq/curve.hpp"
#include "common/zmq/poll.hpp"
#include "connector/app/outbox_pusher.hpp"
#include "connector/pg/connector_sync.hpp"

namespace synchub {
namespace {

class OutboxWakeup final : public pqxx::notification_receiver {
 public:
  explicit OutboxWakeup(pqxx::connection_base& connection)
      : pqxx::notification_receiver(connection, "synchub_outbox") {}
  void operator()(const std::string&, int) override {}
};

}  // namespace

SyncLoops::SyncLoops(const ConnectorConfig& config, zmq::context_t& context,
                     const std::atomic<bool>& stop, ConnectorMetrics* metrics,
                     SyncLoopTimings timings)
    : config_(config), context_(context), stop_(stop), metrics_(metrics), timings_(timings) {
  push_ = std::thread([this] { PushLoop(); });
  pull_ = std::thread([this] { PullLoop(); });
}

void SyncLoops::Join() {
  if (push_.joinable()) push_.join();
  if (pull_.joinable()) pull_.join();
}

void SyncLoops::PushLoop() {
  OutboxPusher pusher(config_, context_, stop_, metrics_);
  Backoff backoff(timings_.push_retry);
  while (!stop_) {
    auto connection = ConnectPgWithRetry(config_.database, stop_);
    if (!connection) return;
    OutboxWakeup wakeup(*connection);
    while (!stop_) {
      auto pushed = pusher.PushOnce(*connection);
      if (!pushed.ok()) {
        spdlog::warn("push: {}", pushed.status().message());
        if (!connection->is_open()) break;
        PauseUnlessStopped(backoff.Failed(JitterDraw()).value_or(timings_.push_retry.max_delay),
                           stop_);
        continue;
      }
      backoff.Succeeded();
      if (stop_) break;  // nothing more is reported or pushed once a stop came
      if (auto reported = pusher.ReportParked(*connection); !reported.ok()) {
        spdlog::warn("reporting parked rows: {}", reported.status().message());
      }
      if (*pushed > 0) continue;  // more may be waiting
      try {
        connection->await_notification(0, 250000);
      } catch (const std::exception& error) {
        spdlog::warn("push: {}", error.what());
        break;
      }
    }
  }
}

bool SyncLoops::ApplyLoadPage(InboundApplier& applier, pqxx::connection& connection,
                              const v1::LoadPage& page,
                              const std::function<void(const v1::ConnectorToHub&)>& send) {
  auto counts = applier.ApplyLoad(connection, page);
  if (!counts.ok()) {
    spdlog::warn("reverse load: {}", counts.status().message());
    return false;
  }
  if (metrics_ != nullptr) metrics_->Applied(counts->applied);
  loaded_ += page.records_size();
  kept_ += counts->kept;
  for (const auto& key : counts->kept_keys) {
    if (kept_keys_.size() < 10) kept_keys_.push_back(key);
  }
  v1::ConnectorToHub ack;
  ack.mutable_load_ack()->set_source(config_.source);
  if (page.records_size() > 0) {
    const auto& last = page.records(page.records_size() - 1);
    ack.mutable_load_ack()->set_after_entity(last.entity());
    ack.mutable_load_ack()->set_after_external_id(last.external_id());
  } else {
    ack.mutable_load_ack()->set_after_entity(last_load_entity_);
    ack.mutable_load_ack()->set_after_external_id(last_load_key_);
  }
  ack.mutable_load_ack()->set_last(page.last());
  last_load_entity_ = ack.load_ack().after_entity();
  last_load_key_ = ack.load_ack().after_external_id();
  send(ack);
  if (page.last()) {
    spdlog::info("reverse load ({}) done: {} record(s) received", page.reason(), loaded_);
    if (kept_ > 0) {
      std::string keys;
      for (const auto& key : kept_keys_) keys += (keys.empty() ? "" : ", ") + key;
      spdlog::warn(
          "reverse load ({}): kept {} local row(s) newer than the hub's record, or at "
          "its version but never synced (for example {}); rows the hub has no record "
          "of at all were not part of the load. `synchub-connector reconcile` lists "
          "both, and `reconcile --repair` sends them to the hub",
          page.reason(), kept_, keys);
    }
    kept_ = 0;
    kept_keys_.clear();
    loaded_ = 0;
    last_load_entity_.clear();
    last_load_key_.clear();
  }
  return true;
}

void SyncLoops::PullLoop() {
  constexpr std::uint32_t kCredit = 1000;
  InboundApplier applier(config_);
  auto connection = ConnectPgWithRetry(config_.database, stop_);
  while (!stop_ && connection) {
    zmq::socket_t socket(context_, zmq::socket_type::dealer);
    socket.set(zmq::sockopt::linger, 0);
    SecureClientSocket(socket, CurveClientKeysOrPlain(config_.curve_secret_key_file,
                                                      config_.curve_outbound_server_key_file));
    socket.connect(config_.outbound_endpoint);
    auto send = [&](const v1::ConnectorToHub& message) {
      (void)socket.send(zmq::buffer(message.SerializeAsString()), zmq::send_flags::dontwait);
    };
    v1::ConnectorToHub subscribe;
    subscribe.mutable_subscribe()->set_source(config_.source);
    subscribe.mutable_subscribe()->set_credit(kCredit);
    for (const auto& mapping : config_.entities) {
      subscribe.mutable_subscribe()->add_entities(mapping.entity);
    }
    // The change applied last: the hub reloads this source when its log lacks it.
    if (auto point = applier.LastApplied(*connection); point.ok()) {
      subscribe.mutable_subscribe()->set_resume_after_seq(point->seq);
      subscribe.mutable_subscribe()->set_resume_entity(point->entity);
      subscribe.mutable_subscribe()->set_resume_external_id(point->external_id);
      subscribe.mutable_subscribe()->set_resume_etag(point->etag);
    } else {
      spdlog::warn("{}", point.status().message());
      if (!connection->is_open()) connection = ConnectPgWithRetry(config_.database, stop_);
      continue;
    }
    send(subscribe);
    auto last_heard = std::chrono::steady_clock::now();
    auto last_beat = last_heard;
    auto last_retry = last_heard;
    auto last_settle = last_heard;
    while (!stop_) {
      zmq::pollitem_t items[] = {{socket.handle(), 0, ZMQ_POLLIN, 0}};
      PollFor(items, std::chrono::milliseconds(100));
      const auto now = std::chrono::steady_clock::now();
      bool failed = false;
      if (items[0].revents & ZMQ_POLLIN) {
        zmq::message_t frame;
        while (socket.recv(frame, zmq::recv_flags::dontwait)) {
          last_heard = now;
          if (metrics_ != nullptr) metrics_->HubAnswered();
          v1::HubToConnector message;
          if (!message.ParseFromArray(frame.data(), static_cast<int>(frame.size()))) continue;
          if (message.has_load()) {
            if (!ApplyLoadPage(applier, *connection, message.load(), send)) {
              if (!connection->is_open()) connection = ConnectPgWithRetry(config_.database, stop_);
              failed = true;  // not acknowledged: the page comes again in a new session
              break;
            }
            continue;
          }
          if (!message.has_deliver() || message.deliver().changes_size() == 0) continue;
          auto applied = applier.Apply(*connection, message.deliver());
          if (!applied.ok()) {
            spdlog::warn("apply: {}", applied.status().message());
            if (!connection->is_open()) connection = ConnectPgWithRetry(config_.database, stop_);
            failed = true;  // not acknowledged, and nothing after it either: a new session
            break;          // resumes from the last acknowledged change
          }
          if (metrics_ != nullptr) metrics_->Applied(*applied);
          v1::ConnectorToHub ack;
          ack.mutable_ack()->set_source(config_.source);
          const auto& changes = message.deliver().changes();
          ack.mutable_ack()->set_up_to_seq(changes[changes.size() - 1].seq());
          ack.mutable_ack()->set_credit(kCredit);
          send(ack);
        }
      }
      if (failed) break;
      if (now - last_beat >= timings_.heartbeat) {
        v1::ConnectorToHub beat;
        beat.mutable_heartbeat()->set_source(config_.source);
        send(beat);
        last_beat = now;
      }
      if (now - last_settle >= timings_.settle_held) {
        auto settled = applier.SettleHeld(*connection);
        if (!settled.ok()) {
          spdlog::warn("{}", settled.status().message());
        } else if (metrics_ != nullptr) {
          metrics_->Applied(*settled);
        }
        last_settle = now;
      }
      // Parked inbound changes are tried again: once an operator fixed what refused them (a
      // column too narrow), they apply by themselves.
      if (now - last_retry >= timings_.retry_parked) {
        auto retried = applier.RetryParked(*connection);
        if (!retried.ok()) {
          spdlog::warn("retrying parked inbound changes: {}", retried.status().message());
        } else if (*retried > 0) {
          spdlog::info("{} parked inbound change(s) applied", *retried);
          if (metrics_ != nullptr) metrics_->Applied(*retried);
        }
        last_retry = now;
      }
      if (now - last_heard > timings_.hub_silence) {
        spdlog::info("no word from the hub for {} ms; subscribing again",
                     timings_.hub_silence.count());
        break;
      }
    }
  }
}

}  // namespace synchub
