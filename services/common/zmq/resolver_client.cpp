#include "common/zmq/resolver_client.hpp"

#include <algorithm>
#include <random>

#include "common/runtime/event_ids.hpp"
#include "common/zmq/poll.hpp"

namespace synchub {

std::string NewClientEventId() { return NewEventId("cli"); }

ResolverClient::ResolverClient(zmq::context_t& context, ResolverClientOptions options)
    : context_(context), options_(std::move(options)) {
  Reconnect();
}

void ResolverClient::Reconnect() {
  socket_ = zmq::socket_t(context_, zmq::socket_type::dealer);
  socket_.set(zmq::sockopt::linger, 0);
  SecureClientSocket(socket_, options_.curve);
  for (const auto& endpoint : options_.endpoints) socket_.connect(endpoint);
}

Status ResolverClient::RefusedReply(const v1::Status& error) {
  // The credential this connection was admitted with is no longer active (revoked, or the
  // key re-registered under a new credential): ZAP runs only at the handshake, so a new
  // connection is what picks up the current credential. The request was not applied.
  if (error.reason() == "unauthenticated") {
    Reconnect();
    return Status::Unavailable("the server refused this connection's credential (" +
                               error.message() + "); reconnected, resend");
  }
  return Status::Internal("resolver refused the request: " + error.message());
}

StatusOr<v1::ResolverReply> ResolverClient::Call(const v1::ResolverRequest& request,
                                                 std::uint64_t request_id, int attempts) {
  const std::string payload = request.SerializeAsString();
  auto stopping = [this] { return options_.stop != nullptr && options_.stop->load(); };
  if (attempts <= 0) attempts = options_.attempts;
  for (int attempt = 1; attempt <= attempts; ++attempt) {
    if (stopping()) return Status::Unavailable("stopping: not sent");
    if (attempt > 1) ++resends_;
    if (!socket_.send(zmq::buffer(payload), zmq::send_flags::dontwait)) {
      Reconnect();
      continue;
    }
    const auto deadline = std::chrono::steady_clock::now() + options_.timeout;
    while (true) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0) break;
      // While a stop may come, wait in slices of 100 ms; once it came, only take a reply
      // that is already here (a zero wait) before giving up.
      if (stopping()) {
        left = std::chrono::milliseconds(0);
      } else if (options_.stop != nullptr) {
        left = std::min(left, std::chrono::milliseconds(100));
      }
      zmq::pollitem_t items[] = {{socket_.handle(), 0, ZMQ_POLLIN, 0}};
      try {
        PollFor(items, left);
      } catch (const zmq::error_t& error) {
        return Status::Internal(error.what());
      }
      if (!(items[0].revents & ZMQ_POLLIN)) {
        if (stopping()) {
          Reconnect();  // the request may still be answered: this socket must not see it
          return Status::Unavailable("stopping: no reply awaited");
        }
        continue;
      }
      zmq::message_t message;
      if (!socket_.recv(message, zmq::recv_flags::dontwait)) continue;
      v1::ResolverReply reply;
      if (!reply.ParseFromArray(message.data(), static_cast<int>(message.size()))) {
        return Status::Internal("undecodable reply from the resolver");
      }
      // Skip stale replies to earlier attempts of other requests.
      std::uint64_t got = reply.has_submit()    ? reply.submit().request_id()
                          : reply.has_pong()    ? reply.pong().request_id()
                          : reply.has_receipt() ? reply.receipt().request_id()
                          : reply.has_written() ? reply.written().request_id()
                                                : request_id;
      if (got != request_id) continue;
      return reply;
    }
    Reconnect();  // Lazy Pirate: the old socket may hold a lost request; start afresh.
  }
  return Status::Unavailable("no resolver answered after " + std::to_string(attempts) +
                             " attempts");
}

StatusOr<v1::SubmitReply> ResolverClient::Submit(std::vector<v1::Event> events) {
  v1::ResolverRequest request;
  const std::uint64_t request_id = next_request_id_++;
  v1::SubmitRequest* submit = request.mutable_submit();
  submit->set_request_id(request_id);
  for (auto& event : events) {
    if (event.event_id().empty()) event.set_event_id(NewClientEventId());
    *submit->add_events() = std::move(event);
  }
  auto reply = Call(request, request_id);
  if (!reply.ok()) return reply.status();
  if (reply->has_error()) return RefusedReply(reply->error());
  if (!reply->has_submit() || reply->submit().results_size() != submit->events_size()) {
    return Status::Internal("malformed reply from the resolver");
  }
  return reply->submit();
}

Status ResolverClient::Ping() {
  v1::ResolverRequest request;
  const std::uint64_t request_id = next_request_id_++;
  request.mutable_ping()->set_request_id(request_id);
  auto reply = Call(request, request_id);
  return reply.ok() ? Status::Ok() : reply.status();
}

}  // namespace synchub

namespace synchub {

StatusOr<std::int64_t> ResolverClient::ReportDeadLetter(const v1::DeadLetterReport& report) {
  v1::ResolverRequest request;
  const std::uint64_t request_id = next_request_id_++;
  *request.mutable_report() = report;
  request.mutable_report()->set_request_id(request_id);
  auto reply = Call(request, request_id);
  if (!reply.ok()) return reply.status();
  if (!reply->has_receipt()) return Status::Internal("malformed reply from the resolver");
  if (reply->receipt().has_error() && reply->receipt().error().code() != v1::STATUS_CODE_OK) {
    const v1::Status& error = reply->receipt().error();
    if (error.code() == v1::STATUS_CODE_INVALID_ARGUMENT) {
      return Status::InvalidArgument(error.key(), error.reason(), error.message());
    }
    return Status::Unavailable(error.message());
  }
  return reply->receipt().dead_letter_id();
}

StatusOr<v1::OperatorWriteReply> ResolverClient::WriteAsOperator(v1::OperatorWrite write) {
  v1::ResolverRequest request;
  const std::uint64_t request_id = next_request_id_++;
  write.set_request_id(request_id);
  *request.mutable_operator_write() = std::move(write);
  auto reply = Call(request, request_id, /*attempts=*/1);
  if (!reply.ok()) return reply.status();
  if (reply->has_error()) return RefusedReply(reply->error());
  if (!reply->has_written()) return Status::Internal("malformed reply from the resolver");
  return reply->written();
}

}  // namespace synchub
