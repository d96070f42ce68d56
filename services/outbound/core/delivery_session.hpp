// DeliverySession: the state of one connector's delivery stream (proto/README.md), as pure
// logic with the time passed in (the server gives it Clock::Now()):
//   Subscribe{credit}   starts a session at the target's acknowledged position
//   Deliver{changes}    at most `credit` unacknowledged changes in flight
//   Ack{up_to, credit}  cumulative: every change up to `up_to` is acknowledged
//   silence             a session not heard from for `timeout` ends
//
// Thread safety: none (one server thread owns all sessions).
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "common/core/clock.hpp"
#include "outbound/core/queued_change.hpp"

namespace synchub {

class DeliverySession {
 public:
  // A session of the connector at routing id `identity`, resuming after `acked`.
  // A credit of 0 counts as 1.
  DeliverySession(std::string identity, std::uint32_t credit, OutboundPosition acked,
                  Clock::TimePoint now);

  const std::string& identity() const { return identity_; }
  const OutboundPosition& acked() const { return acked_; }
  const OutboundPosition& delivered() const { return delivered_; }
  bool has_in_flight() const { return !in_flight_.empty(); }

  // How many more changes may be sent now: credit minus changes in flight, at most
  // `max_batch`; 0 or less means none.
  int Room(int max_batch) const;

  // Records that `sent` (in position order, non-empty; older changes of a record already
  // dropped) went out, read up to position `last`: positions skipped as older changes of a
  // record count as delivered with the last one sent.
  void Delivered(const std::vector<QueuedChange>& sent, const OutboundPosition& last,
                 Clock::TimePoint now);

  // An Ack up to seq `up_to` granting `credit`. Returns the position the target has now
  // acknowledged (to save as its cursor), or nullopt when `up_to` is no change in flight
  // (a late or repeated ack: nothing moves). The credit is taken either way.
  std::optional<OutboundPosition> Acked(std::int64_t up_to, std::uint32_t credit,
                                        Clock::TimePoint now);
  // The cursor was saved: `position` is the acknowledged position from now on.
  void CursorSaved(const OutboundPosition& position) { acked_ = position; }

  // Anything heard from the connector (a heartbeat too).
  void Heard(Clock::TimePoint now) { last_heard_ = now; }
  // Anything sent to it (a delivery or a heartbeat).
  void Sent(Clock::TimePoint now) { last_sent_ = now; }
  // A send failed: the connector is gone.
  void End() { ended_ = true; }

  // True when the session must end: a send failed, or nothing was heard for `timeout`.
  bool Over(Clock::TimePoint now, std::chrono::milliseconds timeout) const;
  // True when nothing was sent for `interval`: a heartbeat is due.
  bool HeartbeatDue(Clock::TimePoint now, std::chrono::milliseconds interval) const;

 private:
  std::string identity_;
  std::uint32_t credit_;
  OutboundPosition acked_;
  OutboundPosition delivered_;
  std::map<std::int64_t, OutboundPosition> in_flight_;  // seq -> position, not yet acked
  Clock::TimePoint last_heard_;
  Clock::TimePoint last_sent_;
  bool ended_ = false;
};

}  // namespace synchub
