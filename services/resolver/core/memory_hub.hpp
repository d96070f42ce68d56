// InMemoryHub: the ladder run against records held in memory. Pure (no I/O, no clock).
//
// Used by `synchub-resolve`, by property tests, and to replay a record's resolution log.
// Deferred events wait in memory and are re-run, in arrival order, right after a record
// they wait for is written; there is no time-based retry here (the resolver service adds
// backoff and dead letters on top of the same ladder).
//
// Thread safety: none; one thread at a time.
#pragma once

#include <deque>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "common/core/catalog.hpp"
#include "common/core/event.hpp"
#include "common/core/record.hpp"
#include "resolver/core/ladder.hpp"

namespace synchub {

using RecordKey = std::pair<std::string, std::string>;  // (entity, externalId)

class InMemoryHub final : public DependencyOracle {
 public:
  struct Resolution {
    Event event;
    Decision decision;
  };

  explicit InMemoryHub(Catalog catalog) : catalog_(std::move(catalog)) {}

  // Resolves `event` and applies the decision. Returns its resolution first, then those of
  // any deferred events the write released (each of which may release more).
  // REQUIRES: `event` passed ValidateEvent against catalog().
  std::vector<Resolution> Submit(const Event& event);

  // Resolves `event` against the current record and applies the decision, without touching
  // deferred events (DEFERRED decisions are returned but not kept).
  Decision Apply(const Event& event);

  // The record for (entity, external_id), or nullptr. Valid until the next Submit/Apply.
  const CanonicalRecord* Find(std::string_view entity, std::string_view external_id) const;
  bool IsLive(std::string_view entity, std::string_view external_id) const override;

  const std::map<RecordKey, CanonicalRecord>& records() const { return records_; }
  std::size_t deferred_count() const { return deferred_.size(); }
  const Catalog& catalog() const { return catalog_; }
  void set_catalog(Catalog catalog) { catalog_ = std::move(catalog); }

 private:
  Catalog catalog_;
  std::map<RecordKey, CanonicalRecord> records_;
  std::deque<Event> deferred_;
};

}  // namespace synchub
