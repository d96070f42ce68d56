// What syncload generates: simulated sources writing bursts of (partly conflicting) events.
// Pure: randomness comes from the caller's generator, versions from the caller's counters.
#pragma once

#include <atomic>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "common/core/event.hpp"

namespace synchub {

struct LoadProfile {
  std::vector<std::string> sources = {"CRM", "ERP", "Portal", "LocalDB"};
  int records = 10000;          // distinct records written
  double hot_share = 0.0;       // share of events that go to the hot keys
  int hot_records = 20;         // how many of the records are hot
  double conflict_share = 0.1;  // share of events that reuse a record's current version
  double delete_share = 0.0;    // share of events that are deletes
  std::string key_prefix = "LOAD";
};

// Per-record version counters shared by every simulated source.
class VersionBoard {
 public:
  explicit VersionBoard(int records) : versions_(static_cast<std::size_t>(records)) {}
  // A new version for `record`, higher than any handed out before.
  std::int64_t Next(int record) { return ++versions_[static_cast<std::size_t>(record)]; }
  // The record's current version (what some source already wrote); 0 before any.
  std::int64_t Current(int record) const { return versions_[static_cast<std::size_t>(record)]; }

 private:
  std::vector<std::atomic<std::int64_t>> versions_;
};

// The next event of `source` under `profile`: a record (hot or not), a version (new, or the
// current one for a same-version conflict), and one to three fields with random values.
// Event ids are left empty (the client assigns them).
Event NextLoadEvent(const LoadProfile& profile, const std::string& source, VersionBoard& board,
                    std::mt19937_64& random);

// The `percentile` (0..100) of `sorted` (ascending; REQUIRES non-empty), nearest rank.
double Percentile(const std::vector<double>& sorted, double percentile);

}  // namespace synchub
