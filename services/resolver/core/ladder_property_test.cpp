// Property tests of the ladder over random records, events and event sequences.
#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "resolver/core/ladder.hpp"
#include "resolver/core/memory_hub.hpp"

namespace synchub {
namespace {

const std::vector<std::string> kSources = {"CRM", "ERP", "Portal", "LocalDB"};
const std::vector<std::string> kFieldNames = {"a", "b", "c", "d"};

class NoDependencies final : public DependencyOracle {
 public:
  bool IsLive(std::string_view, std::string_view) const override { return true; }
};

rc::Gen<Json> GenValue() {
  return rc::gen::element<Json>(Json(0), Json(1), Json(1.0), Json("x"), Json("y"), Json(nullptr),
                                Json::parse(R"({"k":[1,2]})"), ExactNumber("1.00"),
                                ExactNumber("0.1"), ExactNumber("123456789012345678901234567890"),
                                ExactNumber("123456789012345678901234567891"));
}

rc::Gen<FieldMap> GenFields() {
  return rc::gen::exec([] {
    FieldMap fields;
    for (const auto& name : kFieldNames) {
      if (*rc::gen::arbitrary<bool>()) fields.emplace(name, *GenValue());
    }
    return fields;
  });
}

rc::Gen<Event> GenEvent(const std::string& external_id) {
  return rc::gen::exec([external_id] {
    Event event;
    event.event_id = "e";
    event.external_id = external_id;
    event.source = *rc::gen::elementOf(kSources);
    event.version = *rc::gen::inRange<std::int64_t>(1, 5);
    event.op = *rc::gen::weightedElement<Op>({{5, Op::kUpsert}, {1, Op::kDelete}});
    event.fields = *GenFields();
    return event;
  });
}

rc::Gen<CanonicalRecord> GenRecord() {
  return rc::gen::exec([] {
    CanonicalRecord record;
    record.entity = "client";
    record.external_id = "K";
    record.version = *rc::gen::inRange<std::int64_t>(1, 5);
    record.last_source = *rc::gen::elementOf(kSources);
    record.fields = *GenFields();
    record.fields.emplace("_deleted", *rc::gen::arbitrary<bool>());
    for (const auto& [name, value] : record.fields) {
      record.provenance.emplace(name, *rc::gen::elementOf(kSources));
      record.field_versions.emplace(name, *rc::gen::inRange<std::int64_t>(1, record.version + 1));
    }
    return record;
  });
}

rc::Gen<Catalog> GenCatalog() {
  return rc::gen::exec([] {
    std::map<std::string, int, std::less<>> priorities;
    for (const auto& source : kSources) priorities[source] = *rc::gen::inRange(1, 4);
    return Catalog(std::move(priorities), {"client", "order"}, {});
  });
}

const NoDependencies kNoDependencies;

RC_GTEST_PROP(LadderProperty, ReapplyingAnAppliedEventChangesNothing, ()) {
  InMemoryHub hub(*GenCatalog());
  const auto events = *rc::gen::container<std::vector<Event>>(GenEvent("K"));
  for (const auto& event : events) {
    (void)hub.Apply(event);
    const CanonicalRecord before = *hub.Find("client", "K");
    Decision again = hub.Apply(event);
    RC_ASSERT(!again.changed);
    RC_ASSERT(*hub.Find("client", "K") == before);
    // Nothing fans out to the other sources on a no-op.
    for (const auto& target : again.targets) RC_ASSERT(target == event.source);
  }
}

RC_GTEST_PROP(LadderProperty, AnUnchangedOutcomeWritesNothing, ()) {
  const Catalog catalog = *GenCatalog();
  const CanonicalRecord canonical = *GenRecord();
  const Event event = *GenEvent("K");
  Decision decision = Resolve(event, &canonical, catalog, kNoDependencies);
  if (!decision.changed) {
    RC_ASSERT(!decision.record.has_value());
    RC_ASSERT(decision.written_fields.empty());
    RC_ASSERT(decision.targets.size() <= 1u);
    for (const auto& target : decision.targets) RC_ASSERT(target == event.source);
  } else {
    RC_ASSERT(decision.record.has_value());
    RC_ASSERT(!(*decision.record == canonical));
  }
}

RC_GTEST_PROP(LadderProperty, AChangedRecordCarriesTheEventsWrites, ()) {
  const Catalog catalog = *GenCatalog();
  const CanonicalRecord canonical = *GenRecord();
  const Event event = *GenEvent("K");
  Decision decision = Resolve(event, &canonical, catalog, kNoDependencies);
  if (!decision.changed) return;
  const CanonicalRecord& record = *decision.record;
  RC_ASSERT(record.last_source == event.source);
  RC_ASSERT(record.version == std::max(canonical.version, event.version));
  for (const auto& name : decision.written_fields) {
    RC_ASSERT(record.provenance.at(name) == event.source);
    const Json expected = name == kDeletedField ? Json(event.deleted()) : event.fields.at(name);
    RC_ASSERT(record.fields.at(name) == expected);
  }
  // Fields the event did not write keep their value and provenance.
  for (const auto& [name, value] : canonical.fields) {
    if (std::find(decision.written_fields.begin(), decision.written_fields.end(), name) !=
        decision.written_fields.end()) {
      continue;
    }
    RC_ASSERT(record.fields.at(name) == value);
    RC_ASSERT(record.provenance.at(name) == canonical.provenance.at(name));
  }
  // Every other source receives the change.
  for (const auto& source : kSources) {
    if (source == event.source) continue;
    RC_ASSERT(std::find(decision.targets.begin(), decision.targets.end(), source) !=
              decision.targets.end());
  }
}

RC_GTEST_PROP(LadderProperty, OutcomesAreDeterministic, ()) {
  const Catalog catalog = *GenCatalog();
  const auto events = *rc::gen::container<std::vector<Event>>(GenEvent("K"));
  InMemoryHub first(catalog);
  InMemoryHub second(catalog);
  for (const auto& event : events) {
    Decision a = first.Apply(event);
    Decision b = second.Apply(event);
    RC_ASSERT(a.outcome == b.outcome);
    RC_ASSERT(a.changed == b.changed);
    RC_ASSERT(a.record == b.record);
    RC_ASSERT(a.targets == b.targets);
    RC_ASSERT(a.conflicts == b.conflicts);
  }
  RC_ASSERT(first.records() == second.records());
}

RC_GTEST_PROP(LadderProperty, APriorityChangeOnlyAltersSameVersionConflicts, ()) {
  const Catalog before = *GenCatalog();
  const Catalog after = *GenCatalog();
  const CanonicalRecord canonical = *GenRecord();
  const Event event = *GenEvent("K");
  Decision a = Resolve(event, &canonical, before, kNoDependencies);
  Decision b = Resolve(event, &canonical, after, kNoDependencies);
  const bool differs = a.outcome != b.outcome || a.record != b.record;
  if (differs) {
    RC_ASSERT(event.version == canonical.version);
    RC_ASSERT(!a.conflicts.empty());
    RC_ASSERT(!b.conflicts.empty());
  }
  if (event.version != canonical.version) {
    RC_ASSERT(a.outcome == b.outcome);
    RC_ASSERT(a.record == b.record);
  }
}

RC_GTEST_PROP(LadderProperty, ManualAppliesNothingAndNeedsAnEqualPriorityConflict, ()) {
  const Catalog catalog = *GenCatalog();
  const CanonicalRecord canonical = *GenRecord();
  const Event event = *GenEvent("K");
  Decision decision = Resolve(event, &canonical, catalog, kNoDependencies);
  if (decision.outcome != Outcome::kManual) return;
  RC_ASSERT(!decision.changed);
  RC_ASSERT(decision.targets.empty());
  bool has_tie = false;
  for (const auto& conflict : decision.conflicts) {
    RC_ASSERT(catalog.PriorityOf(conflict.canonical_source).has_value());
    if (conflict.resolution == FieldResolution::kManual) {
      has_tie = true;
      RC_ASSERT(*catalog.PriorityOf(conflict.canonical_source) ==
                *catalog.PriorityOf(event.source));
    }
  }
  RC_ASSERT(has_tie);
}

RC_GTEST_PROP(LadderProperty, StaleEventsNeverChangeAnything, ()) {
  const Catalog catalog = *GenCatalog();
  const CanonicalRecord canonical = *GenRecord();
  Event event = *GenEvent("K");
  event.version = canonical.version - *rc::gen::inRange<std::int64_t>(1, 3);
  if (event.version < 1) return;
  Decision decision = Resolve(event, &canonical, catalog, kNoDependencies);
  RC_ASSERT(decision.outcome == Outcome::kStaleSkip);
  RC_ASSERT(!decision.changed);
  RC_ASSERT(decision.targets == std::vector<std::string>{event.source});
}

// Rung 4 (SPEC section 3): at the same version only a different value written at that same
// version conflicts.
RC_GTEST_PROP(LadderProperty, OnlyValuesWrittenAtTheSameVersionConflict, ()) {
  const Catalog catalog = *GenCatalog();
  const CanonicalRecord canonical = *GenRecord();
  Event event = *GenEvent("K");
  event.version = canonical.version;
  Decision decision = Resolve(event, &canonical, catalog, kNoDependencies);
  for (const auto& conflict : decision.conflicts) {
    RC_ASSERT(canonical.FieldVersion(conflict.field) == canonical.version);
    RC_ASSERT(!JsonEqual(conflict.incoming, conflict.canonical));
  }
  if (decision.outcome == Outcome::kManual) return;
  // Every event field whose value the record holds from an older version is written.
  for (const auto& [name, value] : event.fields) {
    auto existing = canonical.fields.find(name);
    if (existing == canonical.fields.end() || JsonEqual(existing->second, value)) continue;
    if (canonical.FieldVersion(name) >= canonical.version) continue;
    RC_ASSERT(decision.changed);
    RC_ASSERT(JsonEqual(decision.record->fields.at(name), value));
    RC_ASSERT(decision.record->FieldVersion(name) == event.version);
  }
}

// Every written field carries the event's version; every other field keeps its own.
RC_GTEST_PROP(LadderProperty, WrittenFieldsCarryTheEventsVersion, ()) {
  const Catalog catalog = *GenCatalog();
  const CanonicalRecord canonical = *GenRecord();
  const Event event = *GenEvent("K");
  Decision decision = Resolve(event, &canonical, catalog, kNoDependencies);
  if (!decision.changed) return;
  const CanonicalRecord& record = *decision.record;
  for (const auto& [name, value] : record.fields) {
    const bool written = std::find(decision.written_fields.begin(), decision.written_fields.end(),
                                   name) != decision.written_fields.end();
    RC_ASSERT(record.FieldVersion(name) ==
              (written ? event.version : canonical.FieldVersion(name)));
    RC_ASSERT(record.FieldVersion(name) <= record.version);
  }
}

// Two sources that edit different fields of the same version, sent in either order, both keep
// their edit, with no conflict, whatever their priorities (issue 10, input 1).
RC_GTEST_PROP(LadderProperty, ConcurrentEditsOfDifferentFieldsBothSurvive, ()) {
  const Catalog catalog = *GenCatalog();
  const std::int64_t base = *rc::gen::inRange<std::int64_t>(1, 4);
  CanonicalRecord start;
  start.entity = "client";
  start.external_id = "K";
  start.version = base;
  start.last_source = "CRM";
  for (const auto& name : kFieldNames) start.fields.emplace(name, Json("old-" + name));
  start.fields.emplace("_deleted", false);
  for (const auto& [name, value] : start.fields) {
    start.provenance.emplace(name, "CRM");
    start.field_versions.emplace(name, base);
  }
  // Disjoint, non-empty edits.
  const auto split = *rc::gen::inRange<std::size_t>(1, kFieldNames.size());
  Event first;
  first.external_id = "K";
  first.source = *rc::gen::elementOf(kSources);
  first.version = base + 1;
  Event second = first;
  second.source = *rc::gen::elementOf(kSources);
  for (std::size_t i = 0; i < kFieldNames.size(); ++i) {
    (i < split ? first : second).fields.emplace(kFieldNames[i], Json("new-" + kFieldNames[i]));
  }
  for (bool swap : {false, true}) {
    const Decision a = Resolve(swap ? second : first, &start, catalog, kNoDependencies);
    RC_ASSERT(a.outcome == Outcome::kVersionWin);
    const Decision b = Resolve(swap ? first : second, &*a.record, catalog, kNoDependencies);
    RC_ASSERT(b.outcome == Outcome::kFieldMerge);
    RC_ASSERT(b.conflicts.empty());
    const CanonicalRecord& after = *b.record;
    for (const auto& name : kFieldNames) RC_ASSERT(after.fields.at(name) == Json("new-" + name));
    RC_ASSERT(after.version == base + 1);
  }
}

}  // namespace
}  // namespace synchub
