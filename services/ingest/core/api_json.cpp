#include "ingest/core/api_json.hpp"

#include <optional>
#include <string>
#include <utility>

namespace synchub {
namespace {

template <typename T>
Json OrNull(const std::optional<T>& value) {
  return value ? Json(*value) : Json();
}

template <typename Row, typename ToJson>
Json ArrayOf(const std::vector<Row>& rows, ToJson to_json) {
  Json array = Json::array();
  for (const Row& row : rows) array.push_back(to_json(row));
  return array;
}

}  // namespace

Json RecordJson(const StoredRecord& record) {
  Json json = RecordToJson(record.record);
  json["etag"] = record.etag;
  return json;
}

Json RecordPageJson(const RecordPage& page) {
  return Json{{"records", ArrayOf(page.records, RecordJson)}, {"next", OrNull(page.next)}};
}

Json RangeChecksumsJson(const std::vector<RangeChecksum>& ranges) {
  return Json{{"ranges", ArrayOf(ranges, [](const RangeChecksum& range) {
                 return Json{{"after", range.range.after},
                             {"upTo", OrNull(range.range.up_to)},
                             {"rows", range.rows},
                             {"checksum", std::to_string(range.checksum)}};
               })}};
}

Json HistoryJson(const RecordHistory& history) {
  Json entries = ArrayOf(history.entries, [](const HistoryEntry& entry) {
    return Json{{"seq", entry.seq},
                {"eventId", entry.event_id},
                {"source", entry.source},
                {"version", entry.version},
                {"outcome", entry.outcome},
                {"changed", entry.changed},
                {"etagBefore", OrNull(entry.etag_before)},
                {"etagAfter", OrNull(entry.etag_after)},
                {"resolvedAt", OrNull(entry.resolved_at)},
                {"event", entry.event},
                {"recordAfter", entry.record_after},
                {"credentialId", OrNull(entry.credential_id)},
                {"credential", OrNull(entry.credential)}};
  });
  Json out{{"entity", history.entity},
           {"externalId", history.external_id},
           {"history", std::move(entries)}};
  if (history.truncated) {
    out["truncated"] = Json{{"throughSeq", history.truncated->seq},
                            {"resolvedAt", history.truncated->resolved_at},
                            {"recordAfter", history.truncated->record}};
  }
  return out;
}

Json ConflictJson(const ConflictRow& conflict) {
  return Json{{"id", conflict.id},
              {"eventId", conflict.event_id},
              {"entity", conflict.entity},
              {"externalId", conflict.external_id},
              {"status", conflict.status},
              {"resolution", OrNull(conflict.resolution)},
              {"createdAt", OrNull(conflict.created_at)},
              {"resolvedAt", OrNull(conflict.resolved_at)},
              {"conflictingFields", conflict.conflicting_fields}};
}

Json ConflictDetailJson(const ConflictRow& conflict) {
  Json json = ConflictJson(conflict);
  json["event"] = conflict.event;
  json["canonical"] = conflict.canonical;
  return json;
}

Json ConflictListJson(const std::vector<ConflictRow>& conflicts) {
  return Json{{"conflicts", ArrayOf(conflicts, ConflictJson)}};
}

Json ConflictResolutionJson(const ConflictResolution& resolution) {
  return Json{{"conflict", ConflictDetailJson(resolution.conflict)},
              {"record", RecordJson(resolution.record)},
              {"etag", resolution.record.etag}};
}

Json DeadLetterJson(const DeadLetterRow& letter) {
  return Json{{"id", letter.id},
              {"eventId", letter.event_id},
              {"reason", letter.reason},
              {"detail", letter.detail},
              {"attempts", letter.attempts},
              {"status", letter.status},
              {"firstSeen", OrNull(letter.first_seen)},
              {"lastSeen", OrNull(letter.last_seen)},
              {"event", letter.event}};
}

Json DeadLetterListJson(const std::vector<DeadLetterRow>& letters) {
  return Json{{"deadLetters", ArrayOf(letters, DeadLetterJson)}};
}

Json DiscardedDeadLetterJson(std::int64_t id) { return Json{{"id", id}, {"status", "discarded"}}; }

std::string DeliveryState(const SourceRow& source) {
  if (source.loading) return "loading";
  if (!source.last_acknowledged_at) return "never";
  if (source.unacknowledged_records == 0) return "current";
  return source.oldest_unacknowledged_seconds > kStalledAfterSeconds ? "stalled" : "behind";
}

Json SourceJson(const SourceRow& source) {
  return Json{{"source", source.source},
              {"priority", source.priority},
              {"unacknowledgedRecords", source.unacknowledged_records},
              {"oldestUnacknowledgedSeconds", source.oldest_unacknowledged_seconds},
              {"delivery", DeliveryState(source)},
              {"lastAcknowledgedAt", OrNull(source.last_acknowledged_at)},
              {"reloadRequested", source.reload_requested},
              {"parkedRows", source.parked_rows}};
}

Json SourceListJson(const std::vector<SourceRow>& sources) {
  return Json{{"sources", ArrayOf(sources, SourceJson)}};
}

Json SourcePriorityJson(const SourcePriority& source) {
  return Json{{"source", source.source}, {"priority", source.priority}};
}

Json StatsJson(const HubStats& stats) {
  Json outcomes = Json::object();
  for (const auto& [outcome, count] : stats.outcomes) outcomes[outcome] = count;
  return Json{{"records", stats.records},          {"openConflicts", stats.open_conflicts},
              {"deadLetters", stats.dead_letters}, {"deferred", stats.deferred},
              {"resolutions", stats.resolutions},  {"outcomes", std::move(outcomes)}};
}

}  // namespace synchub
