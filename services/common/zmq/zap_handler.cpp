#include "common/zmq/zap_handler.hpp"

#include <zmq.h>

#include <array>
#include <cerrno>
#include <iterator>
#include <string_view>
#include <utility>
#include <vector>
#include <zmq_addon.hpp>

#include "common/zmq/curve.hpp"
#include "common/zmq/poll.hpp"

namespace synchub {
namespace {

constexpr std::chrono::milliseconds kPollInterval{100};
constexpr std::string_view kZapVersion = "1.0";
constexpr std::size_t kCurveKeyBytes = 32;

// A ZAP reply without its envelope (RFC 27): version, request id, status code, status text,
// user id and metadata (always empty here).
struct ZapReply {
  std::string request_id;
  std::string status_code;
  std::string status_text;
  std::string user_id;
};

ZapReply Refuse(std::string request_id, std::string status_code, std::string text) {
  return {std::move(request_id), std::move(status_code), std::move(text), ""};
}

// Decides on one ZAP request, given without its envelope: version, request id, domain,
// address, routing id, mechanism, credentials...
ZapReply Answer(const std::vector<zmq::message_t>& request, const ZapHandler::Lookup& lookup) {
  std::string request_id = request.size() > 1 ? request[1].to_string() : std::string();
  if (request.size() < 6 || request[0].to_string_view() != kZapVersion) {
    return Refuse(std::move(request_id), "400", "malformed ZAP request");
  }
  const std::string domain = request[2].to_string();
  if (domain != kZapDomain && domain.rfind(std::string(kZapDomain) + "-", 0) != 0) {
    return Refuse(std::move(request_id), "400", "ZAP domain not served");
  }
  if (request[5].to_string_view() != "CURVE") {
    return Refuse(std::move(request_id), "400", "only CURVE clients are accepted");
  }
  if (request.size() != 7 || request[6].size() != kCurveKeyBytes) {
    return Refuse(std::move(request_id), "400", "malformed CURVE credentials");
  }
  std::array<char, 41> client_key{};
  if (zmq_z85_encode(client_key.data(), request[6].data<std::uint8_t>(), kCurveKeyBytes) ==
      nullptr) {
    return Refuse(std::move(request_id), "400", "malformed CURVE credentials");
  }
  try {
    std::optional<std::string> identity = lookup(domain, std::string(client_key.data(), 40));
    if (!identity) return Refuse(std::move(request_id), "400", "unknown client key");
    if (identity->empty()) {
      return Refuse(std::move(request_id), "500", "lookup returned an empty identity");
    }
    return {std::move(request_id), "200", "OK", std::move(*identity)};
  } catch (...) {
    return Refuse(std::move(request_id), "500", "client key lookup failed");
  }
}

}  // namespace

ZapHandler::ZapHandler(zmq::context_t& context, Lookup lookup)
    : context_(context), lookup_(std::move(lookup)) {}

ZapHandler::~ZapHandler() { Stop(); }

Status ZapHandler::Start() {
  if (thread_.joinable()) {
    return Status::FailedPrecondition("zap", "already_started", "the ZAP handler runs already");
  }
  try {
    zmq::socket_t socket(context_, zmq::socket_type::rep);
    socket.set(zmq::sockopt::linger, 0);
    socket.bind(kZapEndpoint);
    stop_ = false;
    // The thread takes the socket over; starting a thread orders the bind before its use.
    thread_ = std::thread(&ZapHandler::Run, this, std::move(socket));
  } catch (const zmq::error_t& error) {
    if (error.num() == EADDRINUSE) {
      return Status::FailedPrecondition(
          "zap", "zap_endpoint_in_use",
          std::string("cannot bind ") + kZapEndpoint +
              ": another ZAP handler is bound in this ZeroMQ context (one per context)");
    }
    return Status::FailedPrecondition(
        "zap", "bind_failed", std::string("cannot bind ") + kZapEndpoint + ": " + error.what());
  }
  return Status::Ok();
}

void ZapHandler::Stop() {
  stop_ = true;
  if (thread_.joinable()) thread_.join();
}

void ZapHandler::Run(zmq::socket_t socket) {
  zmq::pollitem_t items[] = {{socket.handle(), 0, ZMQ_POLLIN, 0}};
  try {
    while (!stop_) {
      if (PollFor(items, kPollInterval) == 0) continue;
      std::vector<zmq::message_t> request;
      if (!zmq::recv_multipart(socket, std::back_inserter(request), zmq::recv_flags::dontwait)) {
        continue;
      }
      ZapReply reply = Answer(request, lookup_);
      if (reply.status_code == "200") {
        accepted_.fetch_add(1, std::memory_order_relaxed);
      } else {
        refused_.fetch_add(1, std::memory_order_relaxed);
      }
      std::array<zmq::const_buffer, 6> frames = {
          zmq::buffer(kZapVersion),       zmq::buffer(reply.request_id),
          zmq::buffer(reply.status_code), zmq::buffer(reply.status_text),
          zmq::buffer(reply.user_id),     zmq::const_buffer()};
      // A REP socket drops a reply whose requester is gone; it never blocks here (ZAP pipes
      // have no high-water mark).
      (void)zmq::send_multipart(socket, frames, zmq::send_flags::dontwait);
    }
  } catch (const zmq::error_t&) {
    // ETERM: the context is shutting down. Anything else is a bug. Either way the handler
    // stops answering and its socket closes, which fails closed: with the domain enforced,
    // libzmq refuses clients when no ZAP handler is bound.
  }
}

Status RequireZapHandler(zmq::context_t& context, std::chrono::milliseconds timeout) {
  auto no_handler = [] {
    return Status::FailedPrecondition(
        "zap", "no_zap_handler",
        std::string("CURVE is on but no ZAP handler answers on ") + kZapEndpoint +
            ": refusing to start (every client key would be accepted)");
  };
  const std::string request_id = "synchub-zap-probe";
  try {
    zmq::socket_t probe(context, zmq::socket_type::dealer);
    probe.set(zmq::sockopt::linger, 0);
    probe.connect(kZapEndpoint);

    // A throwaway client key, in the binary form libzmq sends.
    std::array<std::uint8_t, kCurveKeyBytes> key{};
    if (zmq_z85_decode(key.data(), GenerateCurveKeyPair().public_z85.c_str()) == nullptr) {
      return Status::Internal("cannot decode a generated CURVE key");
    }
    std::array<zmq::const_buffer, 8> request = {
        zmq::const_buffer(),  // the envelope delimiter a REP handler expects
        zmq::buffer(kZapVersion),
        zmq::buffer(request_id),
        zmq::buffer(std::string_view(kZapDomain)),
        zmq::const_buffer(),  // address
        zmq::const_buffer(),  // routing id
        zmq::str_buffer("CURVE"),
        zmq::buffer(key)};
    if (!zmq::send_multipart(probe, request, zmq::send_flags::dontwait)) return no_handler();

    const auto deadline = std::chrono::steady_clock::now() + timeout;
    zmq::pollitem_t items[] = {{probe.handle(), 0, ZMQ_POLLIN, 0}};
    while (true) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      if (left.count() < 0) return no_handler();
      if (PollFor(items, left) == 0) continue;
      std::vector<zmq::message_t> reply;
      if (!zmq::recv_multipart(probe, std::back_inserter(reply), zmq::recv_flags::dontwait)) {
        continue;
      }
      // [delimiter, version, request id, status code, status text, user id, metadata]
      if (reply.size() >= 4 && reply[1].to_string_view() == kZapVersion &&
          reply[2].to_string_view() == request_id && reply[3].size() == 3) {
        return Status::Ok();
      }
    }
  } catch (const zmq::error_t& error) {
    return Status::FailedPrecondition(
        "zap", "no_zap_handler",
        std::string("cannot probe the ZAP handler on ") + kZapEndpoint + ": " + error.what());
  }
}

}  // namespace synchub
