#include "resolver/app/resolver_server.hpp"

#include <spdlog/spdlog.h>

#include <chrono>
#include <cstring>
#include <deque>
#include <map>
#include <random>

#include "common/auth/access.hpp"
#include "common/codec/proto_codec.hpp"
#include "common/pg/connection.hpp"
#include "common/pg/migrations.hpp"
#include "common/runtime/event_ids.hpp"
#include "common/runtime/pause.hpp"
#include "common/runtime/steady_clock.hpp"
#include "common/zmq/poll.hpp"
#include "resolver/app/request_router.hpp"
#include "resolver/app/wire.hpp"
#include "resolver/pg/hub_transaction.hpp"
#include "resolver/pg/operator_writes.hpp"

namespace synchub {
namespace {

// The ZAP domains of the resolver's two sockets (zmq_auth.hpp).
constexpr const char* kResolverZapDomain = "synchub-resolver";
constexpr const char* kDeadLetterZapDomain = "synchub-dead-letters";

constexpr const char* kResultsEndpoint = "inproc://resolver-results";
constexpr auto kPollInterval = std::chrono::milliseconds(100);
// Parts waiting for a worker's queue before the server stops reading requests.
constexpr std::size_t kMaxBacklogParts = 4096;

std::string WorkerEndpoint(int index) {
  return "inproc://resolver-worker-" + std::to_string(index);
}

std::string NewHubEventId() { return NewEventId("hub"); }

// The metrics label of an answered event: its outcome, DEAD_LETTER, REJECTED (invalid) or
// UNAVAILABLE (not decided; the submitter resends).
std::string AnswerName(const EventResult& result) {
  if (result.outcome) return std::string(OutcomeName(*result.outcome));
  if (result.dead_letter_reason) return "DEAD_LETTER";
  if (result.error.code() == StatusCode::kAlreadyExists) return "EVENT_ID_REUSED";
  return result.error.code() == StatusCode::kInvalidArgument ? "REJECTED" : "UNAVAILABLE";
}

class DeferredWakeup final : public pqxx::notification_receiver {
 public:
  explicit DeferredWakeup(pqxx::connection_base& connection)
      : pqxx::notification_receiver(connection, "synchub_deferred") {}
  void operator()(const std::string&, int) override {}
};

}  // namespace

StatusOr<std::unique_ptr<ResolverServer>> ResolverServer::Start(ResolverServerOptions options) {
  auto connection = ConnectPg(options.conninfo);
  if (!connection.ok()) return connection.status();
  if (Status schema = CheckSchemaCurrent(**connection, BundledMigrations()); !schema.ok()) {
    return schema;
  }
  // Room for a few batches of every worker ahead of the log's sequence.
  options.log_maintenance.min_room_events =
      std::int64_t{4} * options.workers * options.max_batch_events;
  // The log's next partition before the first write (the maintenance thread keeps it so).
  if (auto created = PgLogMaintenance(**connection, options.log_maintenance).EnsurePartitions();
      !created.ok()) {
    spdlog::warn("log maintenance: {}", created.status().message());
  }
  auto catalog = CatalogCache::Start(options.conninfo, options.catalog_refresh);
  if (!catalog.ok()) return catalog.status();
  std::unique_ptr<ResolverServer> server(new ResolverServer(std::move(options)));
  server->catalog_ = std::move(catalog).value();
  if (!server->options_.insecure) {
    auto credentials =
        CredentialCache::Start(server->options_.conninfo, std::chrono::milliseconds(250));
    if (!credentials.ok()) return credentials.status();
    server->credentials_ = std::move(credentials).value();
  }
  auto security = StartZmqServerSecurity(server->context_, server->options_.curve_secret_key_file,
                                         server->options_.insecure, server->credentials_.get(),
                                         [](const std::string& domain, const Identity& identity) {
                                           // The resolver's socket: the hub's own services; the
                                           // dead-letter feed: whoever may read it. Anything else
                                           // is refused at the handshake.
                                           if (domain == kResolverZapDomain)
                                             return !Refuse(identity, Action::kCallResolver);
                                           if (domain == kDeadLetterZapDomain)
                                             return !Refuse(identity, Action::kReadDeadLetterFeed);
                                           return false;
                                         });
  if (!security.ok()) return security.status();
  server->security_ = std::move(security).value();
  try {
    SecureServerSocket(server->frontend_, server->security_.security, kResolverZapDomain);
    server->frontend_.bind(server->options_.listen_endpoint);
    server->results_.bind(kResultsEndpoint);
    for (int i = 0; i < server->options_.workers; ++i) {
      zmq::socket_t& socket =
          server->to_workers_.emplace_back(server->context_, zmq::socket_type::push);
      socket.set(zmq::sockopt::linger, 0);
      socket.bind(WorkerEndpoint(i));
    }
    server->publisher_ = std::make_unique<DeadLetterPublisher>(
        server->context_, server->options_.dead_letter_endpoint, server->security_.security);
  } catch (const zmq::error_t& error) {
    return Status::InvalidArgument("endpoint", "bind_failed",
                                   std::string("cannot bind a socket: ") + error.what());
  }
  if (!server->options_.metrics_listen.empty()) {
    auto exposer =
        MetricsExposer::Start(server->options_.metrics_listen, server->metrics_.registry());
    if (!exposer.ok()) return exposer.status();
    server->exposer_ = std::move(exposer).value();
  }
  for (int i = 0; i < server->options_.workers; ++i) {
    server->threads_.emplace_back([s = server.get(), i] { s->WorkerLoop(i); });
  }
  server->threads_.emplace_back([s = server.get()] { s->DeferredLoop(); });
  server->threads_.emplace_back([s = server.get()] { s->MaintenanceLoop(); });
  return server;
}

ResolverServer::ResolverServer(ResolverServerOptions options)
    : options_(std::move(options)),
      context_(1),
      frontend_(context_, zmq::socket_type::router),
      results_(context_, zmq::socket_type::pull) {
  frontend_.set(zmq::sockopt::linger, 0);
  results_.set(zmq::sockopt::linger, 0);
}

ResolverServer::~ResolverServer() {
  stopping_ = true;
  for (auto& thread : threads_) {
    if (thread.joinable()) thread.join();
  }
}

std::string ResolverServer::endpoint() const { return frontend_.get(zmq::sockopt::last_endpoint); }

v1::DeadLetterReceipt ResolverServer::StoreReport(const v1::DeadLetterReport& report) {
  v1::DeadLetterReceipt receipt;
  receipt.set_request_id(report.request_id());
  Status unreachable;
  if (SocketThreadConnection(&unreachable) == nullptr) {
    *receipt.mutable_error() = StatusToProto(unreachable);
    return receipt;
  }
  // A connector reports why it gave up (services/common/core/dead_letter_reason.hpp); an
  // empty reason is a push that failed (connectors before the reason field existed).
  const auto reason = report.reason().empty()
                          ? std::optional(DeadLetterReason::kConnectorPushFailed)
                          : ParseDeadLetterReason(report.reason());
  if (!reason) {
    *receipt.mutable_error() = StatusToProto(
        Status::InvalidArgument("reason", "unknown_dead_letter_reason",
                                "reason '" + report.reason() + "' is not a dead-letter reason"));
    return receipt;
  }
  Json event = TryParseStoredJson(report.event_json());
  PgHubTransaction tx(*report_connection_);
  const std::string source = event.is_object() ? event.value("source", std::string()) : "";
  auto id = tx.InsertDeadLetter(source, report.event_id(), event.is_object() ? JsonText(event) : "",
                                event.is_object() ? "" : report.event_json(), *reason,
                                report.detail(), std::max(1, report.attempts()));
  Status committed = id.ok() ? tx.Commit() : id.status();
  if (!committed.ok()) {
    if (committed.code() == StatusCode::kUnavailable) report_connection_.reset();
    *receipt.mutable_error() = StatusToProto(committed);
    return receipt;
  }
  receipt.set_dead_letter_id(*id);
  metrics_.DeadLetter(*reason);
  EventResult published;
  published.event_id = report.event_id();
  published.dead_letter_reason = *reason;
  published.dead_letter_id = *id;
  publisher_->Publish(published, report.event_json(), report.attempts());
  return receipt;
}

StatusOr<std::unique_ptr<pqxx::connection>> ResolverServer::OpenConnection() const {
  auto connection = ConnectPg(options_.conninfo);
  if (!connection.ok()) return connection.status();
  Status set =
      SetSessionSettings(**connection, options_.lock_timeout_ms, options_.statement_timeout_ms);
  if (!set.ok()) return set;
  return connection;
}

pqxx::connection* ResolverServer::SocketThreadConnection(Status* error) {
  if (report_connection_ && !IdleConnectionAlive(*report_connection_)) report_connection_.reset();
  if (!report_connection_ || !report_connection_->is_open()) {
    auto connection = OpenConnection();
    if (!connection.ok()) {
      *error = connection.status();
      return nullptr;
    }
    report_connection_ = std::move(connection).value();
  }
  return report_connection_.get();
}

v1::OperatorWriteReply ResolverServer::WriteAsOperator(const v1::OperatorWrite& write) {
  v1::OperatorWriteReply reply;
  reply.set_request_id(write.request_id());
  Status unreachable;
  pqxx::connection* connection = SocketThreadConnection(&unreachable);
  if (connection == nullptr) {
    *reply.mutable_error() = StatusToProto(unreachable);
    return reply;
  }
  PgOperatorWrites writes(*connection, write.credential_id());
  auto catalog = catalog_->Current();
  StatusOr<ConditionalWrite> written = Status::InvalidArgument("", "empty_write", "no action");
  // The fields of a patch or a merged resolution: a JSON object of valid field names.
  auto fields_of = [](const std::string& text) -> StatusOr<FieldMap> {
    if (text.empty()) return FieldMap{};
    const Json json = TryParseStoredJson(text);
    if (!json.is_object()) {
      return Status::InvalidArgument("fields", "wrong_type", "fields must be a JSON object");
    }
    FieldMap fields;
    for (auto it = json.begin(); it != json.end(); ++it) {
      if (!IsValidFieldName(it.key())) {
        return Status::InvalidArgument(it.key(), "invalid_field_name",
                                       "field names match [A-Za-z][A-Za-z0-9_]{0,63}");
      }
      fields.insert_or_assign(it.key(), *it);
    }
    return fields;
  };
  if (write.has_patch()) {
    const v1::RecordPatch& patch = write.patch();
    auto fields = fields_of(patch.fields_json());
    written = !fields.ok() ? StatusOr<ConditionalWrite>(fields.status())
                           : writes.PatchRecord(
                                 patch.entity(), patch.external_id(), PreconditionsFromProto(patch),
                                 patch.create_if_absent() ? IfAbsent::kCreate : IfAbsent::kNotFound,
                                 *fields, *catalog);
  } else if (write.has_resolve()) {
    auto fields = fields_of(write.resolve().fields_json());
    written = !fields.ok() ? StatusOr<ConditionalWrite>(fields.status())
                           : writes.ResolveConflict(write.resolve().conflict_id(),
                                                    write.resolve().take(), *fields, *catalog);
  }
  if (!written.ok()) {
    if (written.status().code() == StatusCode::kUnavailable) report_connection_.reset();
    *reply.mutable_error() = StatusToProto(written.status());
    return reply;
  }
  switch (written->precondition) {
    case PreconditionOutcome::kProceed:
      reply.set_precondition(v1::OperatorWriteReply::PRECONDITION_PROCEED);
      break;
    case PreconditionOutcome::kIfMatchFailed:
      reply.set_precondition(v1::OperatorWriteReply::PRECONDITION_IF_MATCH_FAILED);
      break;
    case PreconditionOutcome::kIfNoneMatchFailed:
      reply.set_precondition(v1::OperatorWriteReply::PRECONDITION_IF_NONE_MATCH_FAILED);
      break;
  }
  reply.set_created(written->created);
  if (written->record) {
    reply.set_record_json(RecordJsonText(written->record->record));
    reply.set_etag(written->record->etag);
  }
  if (written->precondition == PreconditionOutcome::kProceed) metrics_.Answered("OPERATOR_WRITE");
  return reply;
}

void ResolverServer::Run() {
  RequestRouter router(options_.workers);
  std::vector<std::deque<std::pair<std::uint64_t, std::string>>> backlog(
      static_cast<std::size_t>(options_.workers));
  std::size_t backlog_size = 0;
  // `client` is the routing envelope (every frame before the payload: the client's identity,
  // and those of any proxies such as the ingest gateway's ZeroMQ ingress), length-prefixed.
  auto reply_to = [this](const std::string& client, const v1::ResolverReply& reply) {
    const std::string payload = reply.SerializeAsString();
    std::size_t at = 0;
    while (at + 4 <= client.size()) {
      std::uint32_t length = 0;
      std::memcpy(&length, client.data() + at, 4);
      at += 4;
      (void)frontend_.send(zmq::buffer(client.data() + at, length), zmq::send_flags::sndmore);
      at += length;
    }
    (void)frontend_.send(zmq::buffer(payload), zmq::send_flags::none);
  };
  auto send_finished = [&](RequestRouter::Finished& finished) {
    v1::ResolverReply reply;
    *reply.mutable_submit() = std::move(finished.reply);
    reply_to(finished.client, reply);
  };

  while (!stopping_) {
    std::vector<zmq::pollitem_t> items;
    // Backpressure: while the workers' queues are full, stop taking requests.
    const bool accept = backlog_size < kMaxBacklogParts;
    items.push_back({results_.handle(), 0, ZMQ_POLLIN, 0});
    items.push_back({frontend_.handle(), 0, static_cast<short>(accept ? ZMQ_POLLIN : 0), 0});
    for (auto& socket : to_workers_) {
      items.push_back({socket.handle(), 0, static_cast<short>(backlog_size ? ZMQ_POLLOUT : 0), 0});
    }
    PollFor(items, kPollInterval);
    // Workers' answers.
    while (true) {
      zmq::message_t tag;
      if (!results_.recv(tag, zmq::recv_flags::dontwait)) break;
      zmq::message_t payload;
      if (!tag.more() || !results_.recv(payload, zmq::recv_flags::none)) continue;
      std::uint64_t part_id = 0;
      if (tag.size() == sizeof part_id) std::memcpy(&part_id, tag.data(), sizeof part_id);
      v1::SubmitReply part_reply;
      if (!part_reply.ParseFromArray(payload.data(), static_cast<int>(payload.size()))) continue;
      auto finished = router.Complete(part_id, part_reply);
      if (finished) send_finished(*finished);
    }
    // New requests.
    for (int taken = 0; accept && taken < 64; ++taken) {
      zmq::message_t payload;
      if (!frontend_.recv(payload, zmq::recv_flags::dontwait)) break;
      std::string client;  // the envelope: every frame but the last, length-prefixed
      while (payload.more()) {
        const auto length = static_cast<std::uint32_t>(payload.size());
        client.append(reinterpret_cast<const char*>(&length), 4);
        client.append(static_cast<const char*>(payload.data()), payload.size());
        if (!frontend_.recv(payload, zmq::recv_flags::none)) break;
      }
      if (client.empty()) continue;  // no identity: not from a DEALER
      v1::ResolverRequest request;
      v1::ResolverReply reply;
      // The sender's credential, checked on every message: ZAP admitted it at the handshake,
      // but it may have been revoked since (docs/security.md).
      const auto sender = SenderIdentity(payload, security_.security);
      if (!sender || Refuse(*sender, Action::kCallResolver)) {
        reply.mutable_error()->set_code(v1::STATUS_CODE_INVALID_ARGUMENT);
        reply.mutable_error()->set_key("credential");
        reply.mutable_error()->set_reason(sender ? "forbidden" : "unauthenticated");
        reply.mutable_error()->set_message(
            sender ? "only the hub's services call the resolver"
                   : "the credential behind this connection was revoked");
        reply_to(client, reply);
        continue;
      }
      if (!request.ParseFromArray(payload.data(), static_cast<int>(payload.size())) ||
          request.body_case() == v1::ResolverRequest::BODY_NOT_SET) {
        reply.mutable_error()->set_code(v1::STATUS_CODE_INVALID_ARGUMENT);
        reply.mutable_error()->set_reason("undecodable");
        reply.mutable_error()->set_message("the request is not a synchub.v1.ResolverRequest");
        reply_to(client, reply);
        continue;
      }
      if (request.has_report()) {
        // Rare (a connector gave up on a push): stored here, synchronously.
        *reply.mutable_receipt() = StoreReport(request.report());
        reply_to(client, reply);
        continue;
      }
      if (request.has_operator_write()) {
        *reply.mutable_written() = WriteAsOperator(request.operator_write());
        reply_to(client, reply);
        continue;
      }
      if (request.has_ping()) {
        reply.mutable_pong()->set_request_id(request.ping().request_id());
        reply.mutable_pong()->set_worker("resolver");
        reply_to(client, reply);
        continue;
      }
      for (auto& part : router.Split(client, request.submit())) {
        backlog[static_cast<std::size_t>(part.worker)].emplace_back(
            part.part_id, part.request.SerializeAsString());
        ++backlog_size;
      }
      for (auto& finished : router.TakeEmpty()) send_finished(finished);
    }
    // Hand parts to the workers without blocking.
    for (std::size_t w = 0; w < backlog.size(); ++w) {
      while (!backlog[w].empty()) {
        auto& [part_id, payload] = backlog[w].front();
        if (!to_workers_[w].send(zmq::buffer(&part_id, sizeof part_id),
                                 zmq::send_flags::dontwait | zmq::send_flags::sndmore)) {
          break;
        }
        (void)to_workers_[w].send(zmq::buffer(payload), zmq::send_flags::none);
        backlog[w].pop_front();
        --backlog_size;
      }
    }
  }
  for (auto& thread : threads_) {
    if (thread.joinable()) thread.join();
  }
  threads_.clear();
}

void ResolverServer::WorkerLoop(int index) {
  zmq::socket_t inbox(context_, zmq::socket_type::pull);
  inbox.set(zmq::sockopt::linger, 0);
  inbox.connect(WorkerEndpoint(index));
  zmq::socket_t outbox(context_, zmq::socket_type::push);
  outbox.set(zmq::sockopt::linger, 0);
  outbox.connect(kResultsEndpoint);
  // The worker's database connection. While there is none (PostgreSQL restarting or away) the
  // worker keeps answering: every event UNAVAILABLE at once (the submitter resends), and it
  // reconnects on ReconnectPolicy()'s schedule. It never blocks on the database between polls.
  std::unique_ptr<pqxx::connection> connection;
  std::unique_ptr<BatchResolver> resolver;
  Backoff reconnect(ReconnectPolicy());
  auto next_connect = std::chrono::steady_clock::now();
  bool connected_once = false;
  metrics_.WorkerDisconnected(+1);
  auto disconnect = [&] {
    if (!resolver) return;
    resolver.reset();
    connection.reset();
    metrics_.WorkerDisconnected(+1);
    next_connect = std::chrono::steady_clock::now();
  };

  struct Part {
    std::uint64_t part_id = 0;
    v1::SubmitRequest request;
    std::size_t first = 0;
  };
  auto try_connect = [&] {
    auto opened = OpenConnection();
    if (opened.ok()) {
      connection = std::move(opened).value();
      resolver = std::make_unique<BatchResolver>(*connection, options_.resolver);
      reconnect.Succeeded();
      metrics_.WorkerDisconnected(-1);
      if (connected_once) {
        metrics_.DatabaseReconnected();
        spdlog::info("worker {}: connected to PostgreSQL again", index);
      }
      connected_once = true;
    } else {
      const auto delay = reconnect.Failed(JitterDraw()).value_or(std::chrono::seconds(5));
      next_connect = std::chrono::steady_clock::now() + delay;
      spdlog::warn("worker {}: {}; answering UNAVAILABLE, retrying in {} ms", index,
                   opened.status().message(), delay.count());
    }
  };
  while (!stopping_) {
    if (!resolver && std::chrono::steady_clock::now() >= next_connect) try_connect();
    zmq::pollitem_t items[] = {{inbox.handle(), 0, ZMQ_POLLIN, 0}};
    PollFor(items, kPollInterval);
    if (!(items[0].revents & ZMQ_POLLIN)) continue;

    // Gather a micro-batch: whatever parts are waiting, up to max_batch_events events.
    std::vector<Part> parts;
    int events = 0;
    while (events < options_.max_batch_events) {
      zmq::message_t tag;
      if (!inbox.recv(tag, zmq::recv_flags::dontwait)) break;
      zmq::message_t payload;
      if (!tag.more() || !inbox.recv(payload, zmq::recv_flags::none)) continue;
      Part part;
      if (tag.size() == sizeof part.part_id) std::memcpy(&part.part_id, tag.data(), tag.size());
      if (!part.request.ParseFromArray(payload.data(), static_cast<int>(payload.size()))) continue;
      events += part.request.events_size();
      parts.push_back(std::move(part));
    }
    if (parts.empty()) continue;

    auto catalog = catalog_->Current();
    std::vector<DecodedEvent> decoded;
    for (auto& part : parts) {
      part.first = decoded.size();
      for (auto& event : DecodeSubmit(part.request, *catalog, NewHubEventId)) {
        decoded.push_back(std::move(event));
      }
    }
    std::vector<WorkItem> work;
    std::vector<std::size_t> work_index;  // decoded index of each work item
    std::vector<EventResult> results(decoded.size());
    for (std::size_t i = 0; i < decoded.size(); ++i) {
      if (!decoded[i].error.ok()) {
        results[i] = ErrorResult(decoded[i].item.event.event_id, decoded[i].error);
        continue;
      }
      work.push_back(std::move(decoded[i].item));
      work_index.push_back(i);
    }
    // A connection that died while idle (a restart, a terminated backend) is replaced before
    // it fails this batch.
    if (resolver && !IdleConnectionAlive(*connection)) {
      disconnect();
      try_connect();
    }
    const auto started = std::chrono::steady_clock::now();
    auto resolved = resolver ? resolver->Resolve(work, *catalog)
                             : StatusOr<std::vector<EventResult>>(Status::Unavailable(
                                   "the hub's database is unreachable; resend later"));
    metrics_.Batch(
        work.size(),
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count(),
        resolved.ok());
    for (std::size_t j = 0; j < work.size(); ++j) {
      const std::size_t i = work_index[j];
      if (resolved.ok()) {
        results[i] = std::move((*resolved)[j]);
        if (results[i].dead_letter_reason) {
          metrics_.DeadLetter(*results[i].dead_letter_reason);
          publisher_->Publish(results[i], JsonText(EventToJson(work[j].event)), 1);
        }
      } else {
        results[i] = ErrorResult(work[j].event.event_id, resolved.status());
      }
    }
    std::map<std::string, int> answered;  // one metrics update per outcome, not per event
    for (const EventResult& result : results) ++answered[AnswerName(result)];
    for (const auto& [name, count] : answered) metrics_.Answered(name, count);
    if (!resolved.ok() && resolver) {
      spdlog::error("worker {}: batch not decided: {}", index, resolved.status().message());
      // The connection broke: a new one is opened before the next batch (a fresh session,
      // statements re-prepared). A timeout (lock or statement) keeps the connection.
      if (!connection->is_open()) disconnect();
    }
    for (const auto& part : parts) {
      v1::SubmitReply reply;
      reply.set_request_id(part.part_id);
      for (int k = 0; k < part.request.events_size(); ++k) {
        *reply.add_results() = ResultToProto(results[part.first + static_cast<std::size_t>(k)]);
      }
      const std::string payload = reply.SerializeAsString();
      (void)outbox.send(zmq::buffer(&part.part_id, sizeof part.part_id), zmq::send_flags::sndmore);
      (void)outbox.send(zmq::buffer(payload), zmq::send_flags::none);
    }
  }
}

void ResolverServer::PruneIdempotencyKeys(pqxx::connection& connection) {
  constexpr int kPruneChunk = 10000;  // keys per transaction: short locks, bounded WAL
  const auto window =
      std::chrono::duration_cast<std::chrono::seconds>(options_.idempotency_window).count();
  while (!stopping_) {
    PgHubTransaction tx(connection);
    auto pruned = tx.PruneKeys(window, kPruneChunk);
    Status committed = pruned.ok() ? tx.Commit() : pruned.status();
    if (!committed.ok()) {
      spdlog::warn("forgetting old idempotency keys: {}", committed.message());
      return;
    }
    metrics_.KeysPruned(*pruned);
    if (*pruned < kPruneChunk) return;
  }
}

void ResolverServer::DeferredLoop() {
  constexpr int kClaimLimit = 100;
  std::unique_ptr<pqxx::connection> connection;
  std::unique_ptr<DeferredWakeup> wakeup;
  Backoff backoff(ReconnectPolicy());
  auto next_prune = std::chrono::steady_clock::now();
  while (!stopping_) {
    try {
      if (!connection || !connection->is_open()) {
        wakeup.reset();
        connection = ConnectPgWithRetry(options_.conninfo, stopping_);
        if (!connection) return;
        if (Status set = SetSessionSettings(*connection, options_.lock_timeout_ms,
                                            options_.statement_timeout_ms);
            !set.ok()) {
          throw std::runtime_error(set.message());
        }
        wakeup = std::make_unique<DeferredWakeup>(*connection);
      }
      BatchResolver resolver(*connection, options_.resolver);
      while (!stopping_) {
        auto due = resolver.ResolveDue(kClaimLimit, *catalog_->Current());
        if (!due.ok()) {
          spdlog::warn("deferred re-run failed: {}", due.status().message());
          break;
        }
        for (const auto& result : *due) {
          metrics_.DeferredRerun();
          if (result.dead_letter_reason) metrics_.DeadLetter(*result.dead_letter_reason);
          publisher_->Publish(result, "", options_.resolver.deferral.max_attempts);
        }
        if (static_cast<int>(due->size()) < kClaimLimit) break;
      }
      if (std::chrono::steady_clock::now() >= next_prune) {
        PruneIdempotencyKeys(*connection);
        next_prune = std::chrono::steady_clock::now() + std::chrono::hours(1);
      }
      backoff.Succeeded();
      const auto poll_us =
          std::chrono::duration_cast<std::chrono::microseconds>(options_.deferred_poll).count();
      connection->await_notification(poll_us / 1000000, poll_us % 1000000);
    } catch (const std::exception& error) {
      spdlog::warn("deferred scheduler: {}", error.what());
      connection.reset();
      std::this_thread::sleep_for(backoff.Failed(JitterDraw()).value_or(std::chrono::seconds(1)));
    }
  }
}

void ResolverServer::MaintenanceLoop() {
  constexpr auto kEnsureEvery = std::chrono::seconds(1);
  std::unique_ptr<pqxx::connection> connection;
  auto next_retention = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (!stopping_) {
    try {
      if (!connection || !connection->is_open()) {
        connection = ConnectPgWithRetry(options_.conninfo, stopping_);
        if (!connection) return;
        // A retention run reads whole partitions: no statement timeout; DDL waits for its
        // locks at most LogMaintenanceOptions::lock_timeout_ms.
        if (Status set = SetSessionSettings(*connection, 0, 0); !set.ok()) {
          throw std::runtime_error(set.message());
        }
      }
      PgLogMaintenance maintenance(*connection, options_.log_maintenance);
      auto created = maintenance.EnsurePartitions();
      if (!created.ok()) {
        metrics_.MaintenanceFailed();
        spdlog::warn("log maintenance: {}", created.status().message());
        // The connection may be the cause (the server restarted): the next round opens a new
        // one, so that partitions keep being made once the database is back.
        connection.reset();
        PauseUnlessStopped(kEnsureEvery, stopping_);
        continue;
      }
      for (const auto& name : *created) spdlog::info("log maintenance: created {}", name);
      if (options_.retention_every.count() > 0 &&
          std::chrono::steady_clock::now() >= next_retention) {
        next_retention = std::chrono::steady_clock::now() + options_.retention_every;
        auto report = maintenance.ApplyRetention();
        if (!report.ok()) {
          metrics_.MaintenanceFailed();
          spdlog::warn("log retention: {}", report.status().message());
          connection.reset();
        } else {
          std::int64_t dropped = 0;
          std::size_t reloads = 0;
          for (const auto& drop : report->dropped) {
            dropped += drop.events;
            reloads += drop.reloaded.size();
            spdlog::info("log retention: dropped {} (seq {} to {}, {} events, {})", drop.name,
                         drop.seq_from, drop.seq_to - 1, drop.events, drop.reason);
            for (const auto& source : drop.reloaded) {
              spdlog::warn(
                  "log retention: {} had not acknowledged changes older than the lag cap in "
                  "{}: marked for a reverse load",
                  source, drop.name);
            }
          }
          metrics_.LogRetention(report->partitions, report->log_bytes, dropped, reloads);
        }
      }
      PauseUnlessStopped(kEnsureEvery, stopping_);
    } catch (const std::exception& error) {
      metrics_.MaintenanceFailed();
      spdlog::warn("log maintenance: {}", error.what());
      connection.reset();
      PauseUnlessStopped(kEnsureEvery, stopping_);
    }
  }
}

}  // namespace synchub
