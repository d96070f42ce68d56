// The resolution ladder (SPEC section 3) as one pure function.
//
// Resolve() decides what an event does to the canonical record of the same
// (entity, externalId) and returns the decision as data. It performs no I/O, logs nothing
// and reads no clock: the same inputs always give the same Decision.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/core/catalog.hpp"
#include "common/core/event.hpp"
#include "common/core/record.hpp"
#include "resolver/core/outcome.hpp"

namespace synchub {

// Answers rung 0: does a referenced record exist (and is it not deleted)?
// Implementations: the resolver's PostgreSQL adapter, InMemoryHub for tests and the CLI.
class DependencyOracle {
 public:
  virtual ~DependencyOracle() = default;
  // Returns true when the record (entity, external_id) exists and is not deleted.
  virtual bool IsLive(std::string_view entity, std::string_view external_id) const = 0;
};

// How one conflicting field (same version, different value) was decided.
enum class FieldResolution {
  kTakeIncoming,   // the event's source has strictly higher priority
  kKeepCanonical,  // the event's source has strictly lower priority
  kManual,         // equal priority: a human decides
};

struct FieldConflict {
  std::string field;
  Json incoming;                 // the event's value
  Json canonical;                // the canonical record's value
  std::string canonical_source;  // the source that set the canonical value ("" if unknown)
  FieldResolution resolution;

  bool operator==(const FieldConflict&) const = default;
};

struct UnmetDependency {
  std::string field;               // e.g. "clientId"
  std::string target_entity;       // e.g. "client"
  std::string target_external_id;  // e.g. "CUST-001"

  bool operator==(const UnmetDependency&) const = default;
};

struct Decision {
  Outcome outcome = Outcome::kStaleSkip;
  // True when some value or the version changes. Only then is anything written.
  bool changed = false;
  // The new canonical record; engaged iff `changed`.
  std::optional<CanonicalRecord> record;
  // Fields the event wrote (their provenance is now the event's source): user fields in
  // name order, then "_deleted".
  std::vector<std::string> written_fields;
  // Conflicting fields (rungs 5 and 6), in the same order as written_fields.
  std::vector<FieldConflict> conflicts;
  // Sources that must receive the canonical record, by priority. When `changed`: every
  // other registered source. Then the event's own source when what it sent differs from the
  // canonical record: STALE_SKIP; a priority rung kept a canonical value over its value; or
  // the record changed and has fields its event did not carry. An unchanged FIELD_MERGE (an
  // echo or a retry) sends nothing. Empty for MANUAL and DEFERRED.
  std::vector<std::string> targets;
  // Rung 0: the references that are missing or deleted (DEFERRED only).
  std::vector<UnmetDependency> unmet_dependencies;
};

// Runs the ladder for `event` against `canonical` (nullptr when no record exists).
// REQUIRES: `event` passed ValidateEvent against `catalog`; `canonical`, when given, has the
// event's entity and externalId.
// Source priorities are compared per conflicting field against the field's provenance; a
// provenance source that is not registered in `catalog` ranks below every registered one.
Decision Resolve(const Event& event, const CanonicalRecord* canonical, const Catalog& catalog,
                 const DependencyOracle& dependencies);

}  // namespace synchub
