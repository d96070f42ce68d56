#include "connector/core/reconcile.hpp"

#include <algorithm>

namespace synchub::connector {
namespace {

Json FieldOf(const Json& fields, const std::string& name) {
  if (!fields.is_object()) return Json();
  auto it = fields.find(name);
  return it == fields.end() ? Json() : *it;
}

}  // namespace

bool CompareRowsOf(const RangeSum& local, const RangeSum& hub, std::int64_t leaf_rows) {
  return std::max(local.rows, hub.rows) <= leaf_rows;
}

std::vector<KeyRange> SplitAt(const KeyRange& range, std::vector<std::string> keys) {
  std::sort(keys.begin(), keys.end());
  keys.erase(std::unique(keys.begin(), keys.end()), keys.end());
  std::vector<KeyRange> ranges;
  std::string after = range.after;
  for (const auto& key : keys) {
    if (key <= after || (range.up_to && key >= *range.up_to)) continue;
    ranges.push_back({after, key});
    after = key;
  }
  ranges.push_back({after, range.up_to});
  return ranges;
}

std::vector<RowDifference> CompareRange(const std::vector<LocalRow>& local,
                                        const std::vector<HubRow>& hub,
                                        const std::vector<std::string>& fields,
                                        const std::map<std::string, std::int64_t>& tombstones) {
  std::map<std::string, const LocalRow*> local_by_key;
  for (const auto& row : local) local_by_key[row.key] = &row;
  std::map<std::string, const HubRow*> hub_by_key;
  for (const auto& row : hub) hub_by_key[row.key] = &row;
  std::vector<RowDifference> differences;
  for (const auto& [key, row] : local_by_key) {
    auto at_hub = hub_by_key.find(key);
    RowDifference difference;
    difference.key = key;
    difference.local_version = row->version;
    if (at_hub == hub_by_key.end()) {
      difference.kind = Difference::kMissingAtHub;
      difference.repair = Repair::kSubmitLocal;
      differences.push_back(std::move(difference));
      continue;
    }
    const HubRow& canonical = *at_hub->second;
    difference.hub_version = canonical.version;
    difference.kind = Difference::kDiffering;
    difference.repair =
        row->version > canonical.version ? Repair::kSubmitLocal : Repair::kApplyCanonical;
    if (canonical.deleted) {
      difference.fields.push_back("_deleted");
      differences.push_back(std::move(difference));
      continue;
    }
    const Json hub_fields = canonical.record.is_object()
                                ? canonical.record.value("fields", Json::object())
                                : Json::object();
    for (const auto& name : fields) {
      if (!JsonEqual(FieldOf(row->fields, name), FieldOf(hub_fields, name))) {
        difference.fields.push_back(name);
      }
    }
    if (difference.fields.empty() && row->version == canonical.version) continue;
    differences.push_back(std::move(difference));
  }
  for (const auto& [key, canonical] : hub_by_key) {
    if (canonical->deleted || local_by_key.count(key) > 0) continue;
    RowDifference difference;
    difference.key = key;
    difference.kind = Difference::kMissingLocally;
    difference.hub_version = canonical->version;
    auto tombstone = tombstones.find(key);
    if (tombstone != tombstones.end() && tombstone->second > canonical->version) {
      // Deleted here after the hub's state: the delete is what the hub lacks.
      difference.repair = Repair::kSubmitLocal;
      difference.local_deleted = true;
      difference.local_version = tombstone->second;
    }
    differences.push_back(std::move(difference));
  }
  std::sort(differences.begin(), differences.end(),
            [](const RowDifference& a, const RowDifference& b) { return a.key < b.key; });
  return differences;
}

const char* DifferenceName(Difference kind) {
  switch (kind) {
    case Difference::kMissingLocally:
      return "missing_locally";
    case Difference::kMissingAtHub:
      return "missing_at_hub";
    case Difference::kDiffering:
      return "differing";
  }
  return "differing";
}

}  // namespace synchub::connector
