#include "resolver/app/resolver_server.hpp"

#include <spdlog/spdlog.h>

#include <random>

#include "common/pg/connection.hpp"
#include "common/pg/migrations.hpp"
#include "resolver/app/wire.hpp"

namespace synchub {
namespace {

constexpr const char* kBackendEndpoint = "inproc://resolver-workers";
constexpr auto kPollInterval = std::chrono::milliseconds(100);

struct PendingRequest {
  zmq::message_t identity;
  v1::ResolverRequest request;
  std::size_t first_item = 0;  // index into the batch's decoded events
};

std::string NewEventId() {
  thread_local std::mt19937_64 random{std::random_device{}()};
  char text[40];
  std::snprintf(text, sizeof text, "hub-%016llx%016llx", static_cast<unsigned long long>(random()),
                static_cast<unsigned long long>(random()));
  return text;
}

void SendReply(zmq::socket_t& socket, zmq::message_t& identity, const v1::ResolverReply& reply) {
  const std::string payload = reply.SerializeAsString();
  (void)socket.send(identity, zmq::send_flags::sndmore);
  (void)socket.send(zmq::buffer(payload), zmq::send_flags::none);
}

// Opens a connection, retrying every second until it works or `stopping`.
std::unique_ptr<pqxx::connection> ConnectUntil(const std::string& conninfo,
                                               const std::atomic<bool>& stopping) {
  while (!stopping) {
    auto connection = ConnectPg(conninfo);
    if (connection.ok()) return std::move(connection).value();
    spdlog::warn("{}; retrying in 1 s", connection.status().message());
    std::this_thread::sleep_for(std::chrono::seconds(1));
  }
  return nullptr;
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
  auto catalog = CatalogCache::Start(options.conninfo, options.catalog_refresh);
  if (!catalog.ok()) return catalog.status();
  std::unique_ptr<ResolverServer> server(new ResolverServer(std::move(options)));
  server->catalog_ = std::move(catalog).value();
  try {
    server->frontend_.bind(server->options_.listen_endpoint);
    server->backend_.bind(kBackendEndpoint);
    server->publisher_ = std::make_unique<DeadLetterPublisher>(
        server->context_, server->options_.dead_letter_endpoint);
  } catch (const zmq::error_t& error) {
    return Status::InvalidArgument("endpoint", "bind_failed",
                                   std::string("cannot bind a socket: ") + error.what());
  }
  for (int i = 0; i < server->options_.workers; ++i) {
    server->threads_.emplace_back([s = server.get(), i] { s->WorkerLoop(i); });
  }
  server->threads_.emplace_back([s = server.get()] { s->DeferredLoop(); });
  return server;
}

ResolverServer::ResolverServer(ResolverServerOptions options)
    : options_(std::move(options)),
      context_(1),
      frontend_(context_, zmq::socket_type::router),
      backend_(context_, zmq::socket_type::dealer) {
  frontend_.set(zmq::sockopt::linger, 0);
  backend_.set(zmq::sockopt::linger, 0);
}

ResolverServer::~ResolverServer() {
  stopping_ = true;
  for (auto& thread : threads_) {
    if (thread.joinable()) thread.join();
  }
}

std::string ResolverServer::endpoint() const { return frontend_.get(zmq::sockopt::last_endpoint); }

void ResolverServer::Run() {
  std::vector<zmq::pollitem_t> items = {{frontend_.handle(), 0, ZMQ_POLLIN, 0},
                                        {backend_.handle(), 0, ZMQ_POLLIN, 0}};
  auto forward = [](zmq::socket_t& from, zmq::socket_t& to) {
    while (true) {
      zmq::message_t part;
      if (!from.recv(part, zmq::recv_flags::dontwait)) return;
      const bool more = part.more();
      (void)to.send(part, more ? zmq::send_flags::sndmore : zmq::send_flags::none);
      if (!more) return;
    }
  };
  while (!stopping_) {
    try {
      zmq::poll(items.data(), items.size(), kPollInterval);
    } catch (const zmq::error_t& error) {
      if (error.num() == EINTR) continue;
      throw;
    }
    if (items[0].revents & ZMQ_POLLIN) forward(frontend_, backend_);
    if (items[1].revents & ZMQ_POLLIN) forward(backend_, frontend_);
  }
  for (auto& thread : threads_) {
    if (thread.joinable()) thread.join();
  }
  threads_.clear();
}

void ResolverServer::WorkerLoop(int index) {
  zmq::socket_t socket(context_, zmq::socket_type::dealer);
  socket.set(zmq::sockopt::linger, 0);
  socket.connect(kBackendEndpoint);
  std::unique_ptr<pqxx::connection> connection = ConnectUntil(options_.conninfo, stopping_);
  if (!connection) return;
  auto resolver = std::make_unique<BatchResolver>(*connection, options_.resolver);
  spdlog::debug("worker {} ready", index);

  while (!stopping_) {
    zmq::pollitem_t item = {socket.handle(), 0, ZMQ_POLLIN, 0};
    try {
      zmq::poll(&item, 1, kPollInterval);
    } catch (const zmq::error_t& error) {
      if (error.num() == EINTR) continue;
      throw;
    }
    if (!(item.revents & ZMQ_POLLIN)) continue;

    // Gather a micro-batch: whatever requests are waiting, up to max_batch_events events.
    std::vector<PendingRequest> pending;
    int events = 0;
    while (events < options_.max_batch_events) {
      zmq::message_t identity;
      if (!socket.recv(identity, zmq::recv_flags::dontwait)) break;
      zmq::message_t payload;
      if (!identity.more() || !socket.recv(payload, zmq::recv_flags::none)) continue;
      while (payload.more()) (void)socket.recv(payload, zmq::recv_flags::none);
      PendingRequest request;
      request.identity = std::move(identity);
      if (!request.request.ParseFromArray(payload.data(), static_cast<int>(payload.size()))) {
        v1::ResolverReply reply;
        reply.mutable_error()->set_code(v1::STATUS_CODE_INVALID_ARGUMENT);
        reply.mutable_error()->set_reason("undecodable");
        reply.mutable_error()->set_message("the request is not a synchub.v1.ResolverRequest");
        SendReply(socket, request.identity, reply);
        continue;
      }
      if (request.request.has_ping()) {
        v1::ResolverReply reply;
        reply.mutable_pong()->set_request_id(request.request.ping().request_id());
        reply.mutable_pong()->set_worker(std::to_string(index));
        SendReply(socket, request.identity, reply);
        continue;
      }
      events += request.request.submit().events_size();
      pending.push_back(std::move(request));
    }
    if (pending.empty()) continue;

    auto catalog = catalog_->Current();
    std::vector<DecodedEvent> decoded;
    for (auto& request : pending) {
      request.first_item = decoded.size();
      auto one = DecodeSubmit(request.request.submit(), *catalog, NewEventId);
      for (auto& event : one) decoded.push_back(std::move(event));
    }
    std::vector<WorkItem> work;
    std::vector<std::size_t> work_index;  // decoded index of each work item
    for (std::size_t i = 0; i < decoded.size(); ++i) {
      if (!decoded[i].error.ok()) continue;
      work.push_back(decoded[i].item);
      work_index.push_back(i);
    }
    std::vector<EventResult> results(decoded.size());
    for (std::size_t i = 0; i < decoded.size(); ++i) {
      if (!decoded[i].error.ok()) {
        results[i] = ErrorResult(decoded[i].item.event.event_id, decoded[i].error);
      }
    }
    auto resolved = resolver->Resolve(work, *catalog);
    for (std::size_t j = 0; j < work.size(); ++j) {
      std::size_t i = work_index[j];
      if (resolved.ok()) {
        results[i] = (*resolved)[j];
        publisher_->Publish(results[i], EventToJson(work[j].event).dump(), 1);
      } else {
        results[i] = ErrorResult(work[j].event.event_id, resolved.status());
      }
    }
    if (!resolved.ok()) {
      spdlog::error("worker {}: batch not decided: {}", index, resolved.status().message());
      if (!connection->is_open()) {
        resolver.reset();
        connection = ConnectUntil(options_.conninfo, stopping_);
        if (!connection) return;
        resolver = std::make_unique<BatchResolver>(*connection, options_.resolver);
      }
    }
    for (std::size_t r = 0; r < pending.size(); ++r) {
      PendingRequest& request = pending[r];
      v1::ResolverReply reply;
      v1::SubmitReply* submit = reply.mutable_submit();
      submit->set_request_id(request.request.submit().request_id());
      const std::size_t count = request.request.submit().events_size();
      for (std::size_t k = 0; k < count; ++k) {
        *submit->add_results() = ResultToProto(results[request.first_item + k]);
      }
      SendReply(socket, request.identity, reply);
    }
  }
}

void ResolverServer::DeferredLoop() {
  constexpr int kClaimLimit = 100;
  std::unique_ptr<pqxx::connection> connection;
  std::unique_ptr<DeferredWakeup> wakeup;
  while (!stopping_) {
    try {
      if (!connection || !connection->is_open()) {
        wakeup.reset();
        connection = ConnectUntil(options_.conninfo, stopping_);
        if (!connection) return;
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
          publisher_->Publish(result, "", options_.resolver.deferral.max_attempts);
        }
        if (static_cast<int>(due->size()) < kClaimLimit) break;
      }
      const auto poll_us =
          std::chrono::duration_cast<std::chrono::microseconds>(options_.deferred_poll).count();
      connection->await_notification(poll_us / 1000000, poll_us % 1000000);
    } catch (const std::exception& error) {
      spdlog::warn("deferred scheduler: {}", error.what());
      connection.reset();
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
    }
  }
}

}  // namespace synchub
