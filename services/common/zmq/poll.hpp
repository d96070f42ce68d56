// Polling ZeroMQ sockets (and plain file descriptors, such as a PostgreSQL connection's
// socket for LISTEN/NOTIFY) the same way in every service.
//
// Thread safety: as the sockets polled (a ZeroMQ socket belongs to one thread).
#pragma once

#include <chrono>
#include <span>
#include <string>
#include <zmq.hpp>

namespace synchub {

// Waits up to `timeout` for the events asked for in `items` and fills their revents.
// Returns how many items have events: 0 on timeout, and 0 (with every revents cleared) when
// a signal interrupted the wait (EINTR), so a caller's loop just checks its stop flag again.
// Throws zmq::error_t on anything else (ETERM while the context closes, a closed socket: bugs
// or shutdown, never the network).
int PollFor(std::span<zmq::pollitem_t> items, std::chrono::milliseconds timeout);

// A ROUTER's message of two frames: the peer's routing id and the payload.
struct RoutedMessage {
  std::string identity;
  zmq::message_t payload;
};

// Receives one [identity, payload] message from a ROUTER without blocking. Returns false
// when none is waiting; a message of another shape is read whole and skipped.
bool RecvRouted(zmq::socket_t& router, RoutedMessage& message);

}  // namespace synchub
