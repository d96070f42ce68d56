// DeadLetterPublisher: publishes each new dead letter on the resolver's dedicated PUB socket
// (a notification for monitors; the dead_letter table is the truth, so a monitor that was
// not connected reads the table).
//
// Thread safety: Publish() may be called from any thread (a mutex serializes the socket).
#pragma once

#include <mutex>
#include <string>
#include <zmq.hpp>

#include "common/core/status.hpp"
#include "common/zmq/zmq_auth.hpp"
#include "resolver/core/event_result.hpp"

namespace synchub {

class DeadLetterPublisher {
 public:
  // Binds a PUB socket to `endpoint`. Throws zmq::error_t when it cannot bind (start-up).
  // `security`: CURVE in ZAP domain "synchub-dead-letters" when on (zmq_auth.hpp).
  DeadLetterPublisher(zmq::context_t& context, const std::string& endpoint,
                      const ZmqServerSecurity& security);

  // The endpoint actually bound (tcp://127.0.0.1:* resolves to a port).
  std::string endpoint() const;

  // Publishes `result` when it is a new dead letter (not a duplicate answer); else nothing.
  // Frames: [topic "dead-letter"][synchub.v1.DeadLetter].
  void Publish(const EventResult& result, const std::string& event_json, int attempts);

 private:
  std::mutex mutex_;
  zmq::socket_t socket_;
};

}  // namespace synchub
