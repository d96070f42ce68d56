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

// The most record bytes one Deliver or LoadPage carries: far below the connectors' 16 MiB
// message limit (kMaxZmqMessageBytes), so that a backlog of large records (each up to the
// gateway's 1 MiB) travels in several messages instead of one that the connector's socket
// refuses, which would end the session and rebuild the same message forever.
inline constexpr std::size_t kMaxMessageRecordBytes = std::size_t{4} << 20;

// How many changes, from the front of `changes`, fit in `max_bytes` of record_json: the
// longest such prefix, and at least one when `changes` is not empty (a record larger than the
// cap still travels, alone). Pure.
std::size_t PrefixWithinBytes(const std::vector<QueuedChange>& changes, std::size_t max_bytes);

}  // namespace synchub
