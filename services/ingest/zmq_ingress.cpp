#include "ingest/zmq_ingress.hpp"

#include "common/zmq/poll.hpp"

namespace synchub {

ZmqIngress::ZmqIngress(zmq::context_t& context, std::string listen,
                       std::vector<std::string> resolver_endpoints, int high_water_mark)
    : context_(context),
      listen_(std::move(listen)),
      resolver_endpoints_(std::move(resolver_endpoints)),
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

void ZmqIngress::Loop() {
  // Forwards one whole multipart message if one is waiting and the other side takes it.
  auto forward = [](zmq::socket_t& from, zmq::socket_t& to) {
    zmq::message_t part;
    if (!from.recv(part, zmq::recv_flags::dontwait)) return false;
    while (true) {
      const bool more = part.more();
      (void)to.send(part, more ? zmq::send_flags::sndmore : zmq::send_flags::none);
      if (!more) return true;
      if (!from.recv(part, zmq::recv_flags::none)) return true;
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
      if (!forward(backend_, frontend_)) break;
    }
    for (int i = 0; i < 256 && (items[0].revents & ZMQ_POLLIN); ++i) {
      if (!forward(frontend_, backend_)) break;
    }
  }
}

}  // namespace synchub
