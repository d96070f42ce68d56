#include "ingest/zmq_ingress.hpp"

#include <spdlog/spdlog.h>

#include "common/zmq/poll.hpp"
#include "ingest/zmq_admission.hpp"

namespace synchub {

ZmqIngress::ZmqIngress(zmq::context_t& context, std::string listen,
                       std::vector<std::string> resolver_endpoints, ZmqServerSecurity security,
                       std::optional<CurveClientKeys> resolver_curve, IngestMetrics& metrics,
                       int high_water_mark)
    : context_(context),
      listen_(std::move(listen)),
      resolver_endpoints_(std::move(resolver_endpoints)),
      security_(std::move(security)),
      resolver_curve_(std::move(resolver_curve)),
      metrics_(metrics),
      high_water_mark_(high_water_mark),
      frontend_(context, zmq::socket_type::router),
      backend_(context, zmq::socket_type::dealer) {}

ZmqIngress::~ZmqIngress() { Stop(); }

StatusOr<std::string> ZmqIngress::Start() {
  try {
    for (zmq::socket_t* socket : {&frontend_, &backend_}) {
      socket->set(zmq::sockopt::linger, 0);
      socket->set(zmq::sockopt::sndhwm, high_water_mark_);
      socket->set(zmq::sockopt::rcvhwm, high_water_mark_);
    }
    SecureServerSocket(frontend_, security_, kIngestZapDomain);
    SecureClientSocket(backend_, resolver_curve_);
    frontend_.bind(listen_);
    for (const auto& endpoint : resolver_endpoints_) backend_.connect(endpoint);
  } catch (const zmq::error_t& error) {
    return Status::InvalidArgument("zmq-listen", "bind_failed",
                                   "cannot bind " + listen_ + ": " + error.what());
  }
  thread_ = std::thread([this] { Loop(); });
  return frontend_.get(zmq::sockopt::last_endpoint);
}

void ZmqIngress::Stop() {
  stopping_ = true;
  if (thread_.joinable()) thread_.join();
}

bool ZmqIngress::AdmitOne() {
  std::vector<zmq::message_t> envelope;
  zmq::message_t payload;
  if (!frontend_.recv(payload, zmq::recv_flags::dontwait)) return false;
  while (payload.more()) {
    envelope.push_back(std::move(payload));
    payload = zmq::message_t();
    if (!frontend_.recv(payload, zmq::recv_flags::none)) return true;
  }
  if (envelope.empty()) return true;  // no routing id: not from a DEALER or REQ
  const std::optional<Identity> sender = SenderIdentity(payload, security_);
  v1::ResolverRequest request;
  std::optional<Refusal> refused;
  if (!sender) {
    refused = Refusal{"credential", "the credential behind this connection was revoked"};
    metrics_.AuthFailure("zmq", "invalid");
  } else if (!request.ParseFromArray(payload.data(), static_cast<int>(payload.size()))) {
    refused = Refusal{"body", "the request is not a synchub.v1.ResolverRequest"};
  } else if ((refused = AdmitZmqRequest(*sender, &request))) {
    metrics_.AuthFailure("zmq", "forbidden");
    spdlog::warn("ZeroMQ entrance: refused a request of credential {}: {}", sender->credential_id,
                 refused->message);
  }
  if (refused) {
    v1::ResolverReply reply;
    reply.mutable_error()->set_code(v1::STATUS_CODE_INVALID_ARGUMENT);
    reply.mutable_error()->set_key(refused->key);
    reply.mutable_error()->set_reason(refused->key == "body" && sender ? "undecodable"
                                      : sender                         ? "forbidden"
                                                                       : "unauthenticated");
    reply.mutable_error()->set_message(refused->message);
    for (auto& frame : envelope) (void)frontend_.send(frame, zmq::send_flags::sndmore);
    (void)frontend_.send(zmq::buffer(reply.SerializeAsString()), zmq::send_flags::dontwait);
    return true;
  }
  for (auto& frame : envelope) (void)backend_.send(frame, zmq::send_flags::sndmore);
  (void)backend_.send(zmq::buffer(request.SerializeAsString()), zmq::send_flags::none);
  return true;
}

void ZmqIngress::Loop() {
  // Forwards one whole multipart reply if one is waiting.
  auto forward_reply = [this] {
    zmq::message_t part;
    if (!backend_.recv(part, zmq::recv_flags::dontwait)) return false;
    while (true) {
      const bool more = part.more();
      (void)frontend_.send(part, more ? zmq::send_flags::sndmore : zmq::send_flags::none);
      if (!more) return true;
      if (!backend_.recv(part, zmq::recv_flags::none)) return true;
    }
  };
  while (!stopping_) {
    zmq::pollitem_t items[] = {{frontend_.handle(), 0, ZMQ_POLLIN, 0},
                               {backend_.handle(), 0, ZMQ_POLLIN, 0}};
    try {
      PollFor(items, std::chrono::milliseconds(100));
    } catch (const zmq::error_t&) {
      return;  // the context is closing
    }
    for (int i = 0; i < 256 && (items[1].revents & ZMQ_POLLIN); ++i) {
      if (!forward_reply()) break;
    }
    for (int i = 0; i < 256 && (items[0].revents & ZMQ_POLLIN); ++i) {
      if (!AdmitOne()) break;
    }
  }
}

}  // namespace synchub
