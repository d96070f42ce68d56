#include "resolver/core/ladder.hpp"

#include <limits>
#include <utility>

namespace synchub {
namespace {

// Calls visit(name, value) for each field the event writes: its user fields, then
// the implicit "_deleted".
template <typename Visit>
void ForEachWrittenField(const Event& event, const Json& deleted_value, Visit&& visit) {
  for (const auto& [name, value] : event.fields) visit(name, value);
  visit(kDeletedField, deleted_value);
}

int RankOf(const Catalog& catalog, std::string_view source) {
  // `operator` ranks above every source (SPEC section 1); other unregistered sources below.
  if (source == kOperatorSource) return std::numeric_limits<int>::min();
  return catalog.PriorityOf(source).value_or(std::numeric_limits<int>::max());
}

void AddOtherSources(const Event& event, const Catalog& catalog, Decision* decision) {
  for (const auto& source : catalog.Sources()) {
    if (source != event.source) decision->targets.push_back(source);
  }
}

std::vector<UnmetDependency> FindUnmetDependencies(const Event& event, const Catalog& catalog,
                                                   const DependencyOracle& dependencies) {
  std::vector<UnmetDependency> unmet;
  for (const auto& dependency : catalog.dependencies()) {
    if (dependency.entity != event.entity) continue;
    auto it = event.fields.find(dependency.field);
    if (it == event.fields.end() || it->second.is_null()) continue;
    auto id = ReferencedId(it->second);
    if (!id || !dependencies.IsLive(dependency.target_entity, *id)) {
      unmet.push_back({dependency.field, dependency.target_entity, id.value_or("")});
    }
  }
  return unmet;
}

// Writes the event's field `name` into `record` with the event's source as provenance and
// the event's version as the field's version.
void WriteField(const Event& event, std::string_view name, const Json& value,
                CanonicalRecord* record) {
  record->fields.insert_or_assign(name, value);
  record->provenance.insert_or_assign(name, event.source);
  record->field_versions.insert_or_assign(name, event.version);
}

Decision NewRecord(const Event& event, const Json& deleted_value, const Catalog& catalog) {
  Decision decision;
  decision.outcome = Outcome::kNewRecord;
  decision.changed = true;
  CanonicalRecord& record = decision.record.emplace();
  record.entity = event.entity;
  record.external_id = event.external_id;
  record.version = event.version;
  record.last_source = event.source;
  ForEachWrittenField(event, deleted_value, [&](std::string_view name, const Json& value) {
    WriteField(event, name, value, &record);
    decision.written_fields.emplace_back(name);
  });
  AddOtherSources(event, catalog, &decision);
  return decision;
}

Decision VersionWin(const Event& event, const Json& deleted_value, const CanonicalRecord& canonical,
                    const Catalog& catalog) {
  Decision decision;
  decision.outcome = Outcome::kVersionWin;
  decision.changed = true;
  CanonicalRecord& record = decision.record.emplace(canonical);
  // Fields without an entry were written at the old version: pin it before the version moves.
  for (const auto& [name, value] : canonical.fields) {
    record.field_versions.emplace(name, canonical.version);
  }
  record.version = event.version;
  record.last_source = event.source;
  ForEachWrittenField(event, deleted_value, [&](std::string_view name, const Json& value) {
    WriteField(event, name, value, &record);
    decision.written_fields.emplace_back(name);
  });
  AddOtherSources(event, catalog, &decision);
  return decision;
}

// Rungs 4 to 6: the event and the canonical record have the same version.
// Per field of the event (SPEC section 3, rung 4):
//   - absent from the record, or present with a value written at an older version: written
//     (the event's value is newer);
//   - present with an equal value: nothing to do;
//   - present with a different value written at this same version: a conflict, decided on
//     the priority of the event's source against the field's provenance (rungs 5 and 6).
Decision SameVersion(const Event& event, const Json& deleted_value,
                     const CanonicalRecord& canonical, const Catalog& catalog) {
  Decision decision;
  const int event_rank = RankOf(catalog, event.source);
  struct ToWrite {
    std::string_view name;
    const Json* value;
  };
  std::vector<ToWrite> to_write;
  to_write.reserve(event.fields.size() + 1);
  bool any_manual = false;
  bool any_kept = false;
  std::size_t matched_fields = 0;  // event fields the record has
  ForEachWrittenField(event, deleted_value, [&](std::string_view name, const Json& value) {
    auto existing = canonical.fields.find(name);
    if (existing == canonical.fields.end()) {
      to_write.push_back({name, &value});
      return;
    }
    ++matched_fields;
    if (JsonEqual(existing->second, value)) return;
    if (canonical.FieldVersion(name) < event.version) {
      to_write.push_back({name, &value});  // the record's value is older: replaced
      return;
    }
    auto provenance = canonical.provenance.find(name);
    std::string canonical_source =
        provenance == canonical.provenance.end() ? std::string() : provenance->second;
    const int canonical_rank = RankOf(catalog, canonical_source);
    FieldResolution resolution = FieldResolution::kManual;
    if (event_rank < canonical_rank) {
      resolution = FieldResolution::kTakeIncoming;
      to_write.push_back({name, &value});
    } else if (event_rank > canonical_rank) {
      resolution = FieldResolution::kKeepCanonical;
      any_kept = true;
    } else {
      any_manual = true;
    }
    if (decision.conflicts.empty()) decision.conflicts.reserve(4);
    decision.conflicts.push_back(
        {std::string(name), value, existing->second, std::move(canonical_source), resolution});
  });

  if (any_manual) {
    decision.outcome = Outcome::kManual;
    return decision;
  }
  decision.outcome = decision.conflicts.empty() ? Outcome::kFieldMerge : Outcome::kPriorityWin;
  decision.changed = !to_write.empty();
  const bool event_lacks_fields = canonical.fields.size() > matched_fields;
  if (decision.changed) {
    CanonicalRecord& record = decision.record.emplace(canonical);
    record.last_source = event.source;
    decision.written_fields.reserve(to_write.size());
    for (const auto& write : to_write) {
      WriteField(event, write.name, *write.value, &record);
      decision.written_fields.emplace_back(write.name);
    }
    AddOtherSources(event, catalog, &decision);
  }
  // The originator converges too: it gets the record back when a canonical value beat its
  // own, or when the merge left it without fields the record has.
  if (any_kept || (decision.changed && event_lacks_fields)) {
    decision.targets.push_back(event.source);
  }
  return decision;
}

}  // namespace

Decision Resolve(const Event& event, const CanonicalRecord* canonical, const Catalog& catalog,
                 const DependencyOracle& dependencies) {
  auto unmet = FindUnmetDependencies(event, catalog, dependencies);
  if (!unmet.empty()) {
    Decision decision;
    decision.outcome = Outcome::kDeferred;
    decision.unmet_dependencies = std::move(unmet);
    return decision;
  }
  const Json deleted_value = event.deleted();
  if (canonical == nullptr) return NewRecord(event, deleted_value, catalog);
  if (event.version > canonical->version) {
    return VersionWin(event, deleted_value, *canonical, catalog);
  }
  if (event.version < canonical->version) {
    Decision decision;
    decision.outcome = Outcome::kStaleSkip;
    decision.targets.push_back(event.source);  // its copy is older than the canonical one
    return decision;
  }
  return SameVersion(event, deleted_value, *canonical, catalog);
}

}  // namespace synchub
