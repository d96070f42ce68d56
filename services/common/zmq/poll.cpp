#include "common/zmq/poll.hpp"

#include <cerrno>

namespace synchub {

int PollFor(std::span<zmq::pollitem_t> items, std::chrono::milliseconds timeout) {
  try {
    return zmq::poll(items.data(), items.size(), timeout);
  } catch (const zmq::error_t& error) {
    if (error.num() != EINTR) throw;
    for (auto& item : items) item.revents = 0;
    return 0;
  }
}

bool RecvRouted(zmq::socket_t& router, RoutedMessage& message) {
  while (true) {
    zmq::message_t identity;
    if (!router.recv(identity, zmq::recv_flags::dontwait)) return false;
    if (!identity.more()) continue;  // a lone frame: not [identity, payload]
    zmq::message_t payload;
    if (!router.recv(payload, zmq::recv_flags::none)) return false;
    bool extra = payload.more();
    while (extra) {  // more frames than two: drain and skip
      zmq::message_t rest;
      if (!router.recv(rest, zmq::recv_flags::none)) return false;
      extra = rest.more();
    }
    if (payload.more()) continue;
    message.identity = identity.to_string();
    message.payload = std::move(payload);
    return true;
  }
}

}  // namespace synchub
