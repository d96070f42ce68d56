#include "outbound/app/outbound_server.hpp"

#include <spdlog/spdlog.h>

#include "common/auth/access.hpp"
#include "common/core/json.hpp"
#include "common/pg/connection.hpp"
#include "common/pg/migrations.hpp"
#include "common/pg/pg_errors.hpp"
#include "common/runtime/steady_clock.hpp"
#include "common/zmq/poll.hpp"
#include "synchub/v1/outbound.pb.h"

namespace synchub {
namespace {

const SteadyClock kSteadyClock;

class OutboundWakeup final : public pqxx::notification_receiver {
 public:
  explicit OutboundWakeup(pqxx::connection_base& connection)
      : pqxx::notification_receiver(connection, "synchub_outbound") {}
  void operator()(const std::string&, int) override {}
};

}  // namespace

StatusOr<std::unique_ptr<OutboundServer>> OutboundServer::Start(OutboundOptions options) {
  auto connection = ConnectPg(options.conninfo);
  if (!connection.ok()) return connection.status();
  if (Status schema = CheckSchemaCurrent(**connection, BundledMigrations()); !schema.ok()) {
    return schema;
  }
  std::unique_ptr<OutboundServer> server(new OutboundServer(std::move(options)));
  if (!server->options_.insecure) {
    auto credentials =
        CredentialCache::Start(server->options_.conninfo, std::chrono::milliseconds(250));
    if (!credentials.ok()) return credentials.status();
    server->credentials_ = std::move(credentials).value();
  }
  auto security = StartZmqServerSecurity(
      server->context_, server->options_.curve_secret_key_file, server->options_.insecure,
      server->credentials_.get(),
      [](const std::string&, const Identity& identity) { return identity.role == Role::kSource; });
  if (!security.ok()) return security.status();
  server->security_ = std::move(security).value();
  server->connection_ = std::move(connection).value();
  server->store_ = std::make_unique<PgOutboundStore>(*server->connection_);
  server->wakeup_ = std::make_unique<OutboundWakeup>(*server->connection_);
  server->metrics_.DatabaseConnected(true);
  try {
    server->socket_.set(zmq::sockopt::linger, 0);
    server->socket_.set(zmq::sockopt::router_mandatory, 1);
    SecureServerSocket(server->socket_, server->security_.security, "synchub-outbound");
    server->socket_.bind(server->options_.listen);
  } catch (const zmq::error_t& error) {
    return Status::InvalidArgument("listen", "bind_failed",
                                   "cannot bind " + server->options_.listen + ": " + error.what());
  }
  if (!server->options_.metrics_listen.empty()) {
    auto exposer =
        MetricsExposer::Start(server->options_.metrics_listen, server->metrics_.registry());
    if (!exposer.ok()) return exposer.status();
    server->exposer_ = std::move(exposer).value();
  }
  return server;
}

OutboundServer::OutboundServer(OutboundOptions options)
    : options_(std::move(options)),
      socket_(context_, zmq::socket_type::router),
      clock_(options_.clock != nullptr ? *options_.clock : kSteadyClock) {}

std::string OutboundServer::endpoint() const { return socket_.get(zmq::sockopt::last_endpoint); }

bool OutboundServer::Send(const std::string& identity, const std::string& payload) {
  try {
    if (!socket_.send(zmq::buffer(identity), zmq::send_flags::sndmore | zmq::send_flags::dontwait))
      return false;
    return socket_.send(zmq::buffer(payload), zmq::send_flags::dontwait).has_value();
  } catch (const zmq::error_t&) {
    return false;  // EHOSTUNREACH: the connector is gone (ROUTER_MANDATORY)
  }
}

bool OutboundServer::Connected() {
  if (store_) return true;
  if (std::chrono::steady_clock::now() < next_connect_) return false;
  auto opened = ConnectPg(options_.conninfo);
  if (!opened.ok()) {
    const auto delay = reconnect_.Failed(JitterDraw()).value_or(std::chrono::seconds(5));
    next_connect_ = std::chrono::steady_clock::now() + delay;
    spdlog::warn("{}; retrying in {} ms", opened.status().message(), delay.count());
    return false;
  }
  try {
    connection_ = std::move(opened).value();
    wakeup_ = std::make_unique<OutboundWakeup>(*connection_);
    store_ = std::make_unique<PgOutboundStore>(*connection_);
  } catch (const std::exception& error) {  // LISTEN failed: the server went away again
    Disconnect(StatusFromPgException(error, "listening for changes"));
    return false;
  }
  reconnect_.Succeeded();
  metrics_.DatabaseConnected(true);
  metrics_.DatabaseReconnected();
  spdlog::info("connected to PostgreSQL again; delivery resumes");
  return true;
}

void OutboundServer::Disconnect(const Status& error) {
  if (store_) spdlog::error("lost the database connection ({}); reconnecting", error.message());
  store_.reset();
  wakeup_.reset();
  connection_.reset();
  metrics_.DatabaseConnected(false);
  next_connect_ = std::chrono::steady_clock::now();  // the first attempt at once
}

bool OutboundServer::Check(const Status& status) {
  if (status.code() == StatusCode::kUnavailable) Disconnect(status);
  return status.ok();
}

void OutboundServer::HandleMessage(const std::string& identity, const std::string& payload,
                                   const std::optional<Identity>& sender) {
  v1::ConnectorToHub message;
  if (!message.ParseFromString(payload)) return;
  const auto now = clock_.Now();
  // The identity decides, never the payload: every message names a source, which must be the
  // sender's own (a CRM credential cannot subscribe to, load or acknowledge ERP's stream).
  const std::string& named = message.has_subscribe()  ? message.subscribe().source()
                             : message.has_load_ack() ? message.load_ack().source()
                             : message.has_ack()      ? message.ack().source()
                                                      : message.heartbeat().source();
  const auto refused = sender ? Refuse(*sender, Action::kSubscribeAs, named)
                              : std::optional<Refusal>(Refusal{
                                    "credential", "the credential of this connection was revoked"});
  if (refused) {
    metrics_.Refused();
    spdlog::warn("refused a message naming source {}: {}", named, refused->message);
    return;
  }
  if (message.has_subscribe()) {
    BeginSession(identity, message.subscribe());
    if (sessions_.count(named) > 0) session_credentials_[named] = sender->credential_id;
    return;
  }
  if (message.has_load_ack()) {
    HandleLoadAck(identity, message.load_ack());
    return;
  }
  const std::string source = message.has_ack()         ? message.ack().source()
                             : message.has_heartbeat() ? message.heartbeat().source()
                                                       : "";
  auto it = sessions_.find(source);
  if (it == sessions_.end() || it->second.identity() != identity) return;
  DeliverySession& session = it->second;
  session.Heard(now);
  if (!message.has_ack()) return;
  auto acked = session.Acked(static_cast<std::int64_t>(message.ack().up_to_seq()),
                             message.ack().credit(), now);
  if (!acked) return;
  // While the database is away the acknowledgement is not saved; the next one (cumulative)
  // saves the position, or delivery resumes from the last saved one (at least once).
  if (!Connected()) return;
  if (Status saved = store_->SaveCursor(source, *acked); Check(saved)) {
    session.CursorSaved(*acked);
    metrics_.Acked(source, acked->seq);
  } else {
    spdlog::warn("saving {}'s cursor: {}", source, saved.message());
  }
}

void OutboundServer::Deliver(const std::string& source, DeliverySession& session) {
  const int room = session.Room(options_.max_batch);
  if (room <= 0 || !Connected()) return;
  auto changes = store_->ReadAfter(source, session.delivered(), room);
  if (!Check(changes.status())) {
    spdlog::warn("reading for {}: {}", source, changes.status().message());
    return;
  }
  if (changes->empty()) return;
  // A prefix of at most kMaxMessageRecordBytes: the rest goes in the next message.
  changes->resize(PrefixWithinBytes(*changes, kMaxMessageRecordBytes));
  const OutboundPosition last = changes->back().position;
  std::vector<QueuedChange> newest = NewestPerRecord(std::move(changes).value());
  v1::HubToConnector message;
  v1::Deliver* deliver = message.mutable_deliver();
  for (const auto& change : newest) {
    v1::OutboundChange* out = deliver->add_changes();
    out->set_seq(static_cast<std::uint64_t>(change.position.seq));
    out->set_target_source(source);
    out->set_entity(change.entity);
    out->set_external_id(change.external_id);
    out->set_etag(change.etag);
    Json record = TryParseStoredJson(change.record_json);
    if (record.is_object()) {
      out->set_version(record.value("version", std::int64_t{0}));
      out->set_deleted(record.value("deleted", false));
    }
    out->set_record_json(change.record_json);
  }
  session.Delivered(newest, last, clock_.Now());
  if (!Send(session.identity(), message.SerializeAsString())) {
    spdlog::info("{} is gone; its session ends", source);
    session.End();
    return;
  }
  metrics_.Delivered(source, static_cast<std::size_t>(deliver->changes_size()), last.seq);
}

void OutboundServer::Run() {
  auto last_poll = clock_.Now();
  auto last_lag = last_poll - std::chrono::seconds(10);
  while (!stopping_) {
    const bool connected = Connected();
    std::vector<zmq::pollitem_t> items = {{socket_.handle(), 0, ZMQ_POLLIN, 0}};
    if (connected) items.push_back({nullptr, connection_->sock(), ZMQ_POLLIN, 0});
    PollFor(items, std::chrono::milliseconds(50));
    bool woken = false;
    if (connected && (items[1].revents & ZMQ_POLLIN)) {
      try {
        woken = connection_->get_notifs() > 0;
      } catch (const std::exception& error) {
        Disconnect(StatusFromPgException(error, "reading notifications"));
      }
    }
    RoutedMessage routed;
    while (RecvRouted(socket_, routed)) {
      HandleMessage(routed.identity, routed.payload.to_string(),
                    SenderIdentity(routed.payload, security_.security));
    }
    const auto now = clock_.Now();
    const bool poll_due = now - last_poll >= options_.poll_interval;
    if (poll_due) last_poll = now;
    for (auto it = sessions_.begin(); it != sessions_.end();) {
      DeliverySession& session = it->second;
      // A session whose credential was revoked ends at once (within the cache's 250 ms).
      const auto credential = session_credentials_.find(it->first);
      const bool revoked = credentials_ != nullptr && credential != session_credentials_.end() &&
                           !credentials_->ById(credential->second);
      if (revoked || session.Over(now, options_.session_timeout)) {
        spdlog::info("session of {} ended{}", it->first,
                     revoked ? ": its credential was revoked" : "");
        session_credentials_.erase(it->first);
        loads_.erase(it->first);
        it = sessions_.erase(it);
        continue;
      }
      if (auto load = loads_.find(it->first); load != loads_.end()) {
        SendLoadPage(it->first, session, load->second);
      } else if (woken || poll_due || session.has_in_flight()) {
        Deliver(it->first, session);
      }
      if (session.HeartbeatDue(now, options_.heartbeat)) {
        v1::HubToConnector beat;
        beat.mutable_heartbeat()->set_source(it->first);
        if (!Send(session.identity(), beat.SerializeAsString())) session.End();
        session.Sent(now);
      }
      ++it;
    }
    metrics_.Subscribers(sessions_.size());
    if (now - last_lag >= std::chrono::seconds(5)) {
      last_lag = now;
      StartRequestedReloads();
      if (Connected()) {
        auto lags = store_->Lag();
        if (Check(lags.status())) {
          for (const auto& lag : *lags) {
            metrics_.Lag(lag.source, lag.unacknowledged_records, lag.oldest_unacknowledged_seconds);
          }
        }
      }
    }
  }
}

}  // namespace synchub
