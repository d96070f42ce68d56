// A change waiting in the outbound queue for one target, and its position. Pure; thread
// safety: none needed (no state).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace synchub {

// A position is (xid, seq): the writing transaction's id and the resolution log's sequence
// (pg/outbound_store.hpp explains why both).
struct OutboundPosition {
  std::uint64_t xid = 0;
  std::int64_t seq = 0;

  bool operator<(const OutboundPosition& other) const {
    return xid != other.xid ? xid < other.xid : seq < other.seq;
  }
  bool operator==(const OutboundPosition&) const = default;
};

struct QueuedChange {
  OutboundPosition position;
  std::string entity;
  std::string external_id;
  std::int64_t version = 0;
  bool deleted = false;
  std::int64_t etag = 0;
  std::string record_json;
};

// Keeps only the newest change of each record (the highest etag: position order follows
// transaction start, not commit), in position order: when several changes of one record wait
// for a target, only the newest needs to travel.
std::vector<QueuedChange> NewestPerRecord(std::vector<QueuedChange> changes);

}  // namespace synchub
