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
  // Unregistered sources rank below every registered one.
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

// Writes the event's field `name` into `record` with the event's source as provenance.
void WriteField(const Event& event, std::string_view name, const Json& value,
                CanonicalRecord* record) {
  auto field = record->fields.find(name);
  if (field == record->fields.end()) {
    record->fields.emplace(std::string(name), value);
  } else {
    field->second = value;
  }
  auto provenance = record->provenance.find(name);
  if (provenance == record->provenance.end()) {
    record->provenance.emplace(std::string(name), event.source);
  } else {
    provenance->second = event.source;
  }
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
  record.version = event.version;
  record.last_source = event.source;
  ForEachWrittenField(event, deleted_value, [&](std::string_view name, const Json& value) {
    WriteField(event, name, value, &record);
    decision.written_fields.emplace_back(name);
  });
  AddOtherSources(event, catalog, &decision);
  return decision;
}

std::size_t TakenCount(const std::vector<FieldConflict>& conflicts) {
  std::size_t taken = 0;
  for (const auto& conflict : conflicts) {
    if (conflict.resolution == FieldResolution::kTakeIncoming) ++taken;
  }
  return taken;
}

// Rungs 4 to 6: the event and the canonical record have the same version.
Decision SameVersion(const Event& event, const Json& deleted_value,
                     const CanonicalRecord& canonical, const Catalog& catalog) {
  Decision decision;
  const int event_rank = RankOf(catalog, event.source);
  // Fields to write: (name, value, index of the field in canonical.fields or -1 when new).
  struct ToWrite {
    std::string_view name;
    const Json* value;
    std::ptrdiff_t index;
  };
  std::vector<ToWrite> to_write;
  to_write.reserve(event.fields.size() + 1);
  bool any_manual = false;
  bool any_kept = false;
  std::size_t event_field_count = 0;
  // The event's user fields come in name order: walk the canonical fields alongside them
  // instead of looking each one up; "_deleted" comes last and is looked up.
  auto walk = canonical.fields.begin();
  auto find_canonical = [&](std::string_view name) {
    if (event_field_count > event.fields.size()) return canonical.fields.find(name);  // _deleted
    for (; walk != canonical.fields.end(); ++walk) {
      const int order = std::string_view(walk->first).compare(name);
      if (order == 0) return walk;
      if (order > 0) break;
    }
    return canonical.fields.end();
  };
  ForEachWrittenField(event, deleted_value, [&](std::string_view name, const Json& value) {
    ++event_field_count;
    auto existing = find_canonical(name);
    if (existing == canonical.fields.end()) {
      to_write.push_back({name, &value, -1});
      return;
    }
    if (existing->second == value) return;
    auto provenance = canonical.provenance.find(name);
    std::string canonical_source =
        provenance == canonical.provenance.end() ? std::string() : provenance->second;
    const int canonical_rank = RankOf(catalog, canonical_source);
    FieldResolution resolution = FieldResolution::kManual;
    if (event_rank < canonical_rank) {
      resolution = FieldResolution::kTakeIncoming;
      to_write.push_back({name, &value, existing - canonical.fields.begin()});
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
  const std::size_t new_fields = to_write.size() - TakenCount(decision.conflicts);
  const std::size_t matched_fields = event_field_count - new_fields;
  const bool event_lacks_fields = canonical.fields.size() > matched_fields;
  if (decision.changed) {
    // The new record: the canonical fields in order, each taken one replaced by the incoming
    // value (not copied first), then the new fields inserted.
    CanonicalRecord& record = decision.record.emplace();
    record.entity = canonical.entity;
    record.external_id = canonical.external_id;
    record.version = canonical.version;
    record.last_source = event.source;
    std::vector<const Json*> taken(canonical.fields.size(), nullptr);
    for (const auto& write : to_write) {
      if (write.index >= 0) taken[static_cast<std::size_t>(write.index)] = write.value;
    }
    record.fields.reserve(canonical.fields.size() + to_write.size());
    std::size_t position = 0;
    for (const auto& [name, value] : canonical.fields) {
      const Json* incoming = taken[position++];
      record.fields.AppendInOrder(name, incoming != nullptr ? *incoming : value);
    }
    record.provenance = canonical.provenance;
    for (const auto& write : to_write) {
      if (write.index >= 0) record.provenance.insert_or_assign(write.name, event.source);
    }
    decision.written_fields.reserve(to_write.size());
    for (const auto& write : to_write) {
      if (write.index < 0) WriteField(event, write.name, *write.value, &record);
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
