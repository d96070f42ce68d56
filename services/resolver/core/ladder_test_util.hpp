// Helpers shared by the ladder's tests: building events and records tersely.
#pragma once

#include <set>
#include <string>
#include <utility>

#include "common/core/catalog.hpp"
#include "common/core/event.hpp"
#include "common/core/record.hpp"
#include "resolver/core/ladder.hpp"

namespace synchub::testing_util {

inline Event MakeEvent(std::string source, std::int64_t version, FieldMap fields,
                       std::string external_id = "K", Op op = Op::kUpsert) {
  Event event;
  event.external_id = std::move(external_id);
  event.source = std::move(source);
  event.version = version;
  event.op = op;
  event.fields = std::move(fields);
  return event;
}

// A record as if every field was set by `source` (plus "_deleted": false).
inline CanonicalRecord MakeRecord(std::string source, std::int64_t version, FieldMap fields,
                                  std::string external_id = "K") {
  CanonicalRecord record;
  record.entity = "client";
  record.external_id = std::move(external_id);
  record.version = version;
  record.last_source = source;
  record.fields = std::move(fields);
  record.fields.emplace("_deleted", false);
  for (const auto& [name, value] : record.fields) record.provenance.emplace(name, source);
  return record;
}

// A DependencyOracle over a fixed set of live (entity, externalId) pairs.
class FixedOracle final : public DependencyOracle {
 public:
  FixedOracle() = default;
  explicit FixedOracle(std::set<std::pair<std::string, std::string>> live)
      : live_(std::move(live)) {}
  bool IsLive(std::string_view entity, std::string_view external_id) const override {
    return live_.count({std::string(entity), std::string(external_id)}) > 0;
  }

 private:
  std::set<std::pair<std::string, std::string>> live_;
};

}  // namespace synchub::testing_util
