#include "resolver/app/dead_letter_publisher.hpp"

#include <chrono>

#include "synchub/v1/dead_letter.pb.h"

namespace synchub {

DeadLetterPublisher::DeadLetterPublisher(zmq::context_t& context, const std::string& endpoint,
                                         const ZmqServerSecurity& security)
    : socket_(context, zmq::socket_type::pub) {
  socket_.set(zmq::sockopt::linger, 0);
  SecureServerSocket(socket_, security, "synchub-dead-letters");
  socket_.bind(endpoint);
}

std::string DeadLetterPublisher::endpoint() const {
  return socket_.get(zmq::sockopt::last_endpoint);
}

void DeadLetterPublisher::Publish(const EventResult& result, const std::string& event_json,
                                  int attempts) {
  if (!result.dead_letter_reason || result.duplicate) return;
  v1::DeadLetter message;
  message.set_id(result.dead_letter_id);
  message.set_event_id(result.event_id);
  message.set_event_json(event_json);
  message.set_reason(std::string(DeadLetterReasonName(*result.dead_letter_reason)));
  message.set_attempts(attempts);
  const auto now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                          std::chrono::system_clock::now().time_since_epoch())
                          .count();
  message.set_first_seen_unix_ms(now_ms);
  message.set_last_seen_unix_ms(now_ms);
  const std::string payload = message.SerializeAsString();
  std::lock_guard<std::mutex> lock(mutex_);
  // PUB never blocks; a message for a slow or absent subscriber is dropped by design.
  (void)socket_.send(zmq::buffer(std::string_view("dead-letter")), zmq::send_flags::sndmore);
  (void)socket_.send(zmq::buffer(payload), zmq::send_flags::none);
}

}  // namespace synchub
