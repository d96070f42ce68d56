#include "outbound/core/delivery_session.hpp"

#include <algorithm>
#include <iterator>

namespace synchub {

DeliverySession::DeliverySession(std::string identity, std::uint32_t credit, OutboundPosition acked,
                                 Clock::TimePoint now)
    : identity_(std::move(identity)),
      credit_(std::max<std::uint32_t>(1, credit)),
      acked_(acked),
      delivered_(acked),
      last_heard_(now),
      last_sent_(now) {}

int DeliverySession::Room(int max_batch) const {
  const int room = static_cast<int>(credit_) - static_cast<int>(in_flight_.size());
  return std::min(room, max_batch);
}

void DeliverySession::Delivered(const std::vector<QueuedChange>& sent, const OutboundPosition& last,
                                Clock::TimePoint now) {
  for (const auto& change : sent) in_flight_.emplace(change.position.seq, change.position);
  if (!sent.empty()) in_flight_[sent.back().position.seq] = last;
  delivered_ = last;
  last_sent_ = now;
}

std::optional<OutboundPosition> DeliverySession::Acked(std::int64_t up_to, std::uint32_t credit,
                                                       Clock::TimePoint now) {
  last_heard_ = now;
  credit_ = credit;
  auto acked = in_flight_.find(up_to);
  if (acked == in_flight_.end()) return std::nullopt;
  OutboundPosition position = acked->second;
  in_flight_.erase(in_flight_.begin(), std::next(acked));
  return position;
}

bool DeliverySession::Over(Clock::TimePoint now, std::chrono::milliseconds timeout) const {
  return ended_ || now - last_heard_ > timeout;
}

bool DeliverySession::HeartbeatDue(Clock::TimePoint now, std::chrono::milliseconds interval) const {
  return !ended_ && now - last_sent_ >= interval;
}

}  // namespace synchub
