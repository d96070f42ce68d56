#include "resolver/pg/hub_transaction.hpp"

#include "common/core/event_parse.hpp"
#include "common/core/json_writer.hpp"
#include "common/pg/pg_array.hpp"
#include "common/pg/pg_errors.hpp"
#include "common/pg/record_row.hpp"
#include "resolver/core/event_digest.hpp"
#include "resolver/pg/sql.hpp"

namespace synchub {
namespace {

Json KeysJson(const std::vector<RecordKey>& keys) {
  Json array = Json::array();
  for (const auto& [entity, external_id] : keys) {
    array.push_back({{"entity", entity}, {"external_id", external_id}});
  }
  return array;
}

Json EventKeysJson(const std::vector<EventKey>& keys) {
  Json array = Json::array();
  for (const auto& [source, event_id] : keys) {
    array.push_back({{"source", source}, {"event_id", event_id}});
  }
  return array;
}

std::string HexToBytes(const std::string& hex) {
  std::string bytes;
  auto nibble = [](char c) { return c <= '9' ? c - '0' : c - 'a' + 10; };
  for (std::size_t i = 0; i + 1 < hex.size(); i += 2) {
    bytes.push_back(static_cast<char>(nibble(hex[i]) * 16 + nibble(hex[i + 1])));
  }
  return bytes;
}

StoredRecord RecordFromRow(const pqxx::row& row) {
  StoredRecord stored;
  stored.record = CanonicalRecordFromRow(row, &stored.etag);
  return stored;
}

// The resolution-log rows of a batch, one array per column.
struct LogColumns {
  PgArrayText event_id, entity, external_id, source, version, event, outcome, changed, etag_before,
      etag_after, record_after, targets, credential_id;
};

Json ConflictsJson(const std::vector<FieldConflict>& conflicts) {
  Json array = Json::array();
  for (const auto& conflict : conflicts) {
    if (conflict.resolution != FieldResolution::kManual) continue;
    array.push_back({{"field", conflict.field},
                     {"incoming", conflict.incoming},
                     {"canonical", conflict.canonical},
                     {"canonicalSource", conflict.canonical_source}});
  }
  return array;
}

}  // namespace

// Registers the resolver's statements on `connection` (each is prepared on the server on first
// use, then planned once per connection). Returns the connection.
static pqxx::connection& WithPreparedStatements(pqxx::connection& connection) {
  static const std::pair<const char*, const char*> kStatements[] = {
      {"kClaimDueDeferred", resolver_sql::kClaimDueDeferred},
      {"kDeleteDeferred", resolver_sql::kDeleteDeferred},
      {"kFindDecided", resolver_sql::kFindDecided},
      {"kInsertKeys", resolver_sql::kInsertKeys},
      {"kInsertReuse", resolver_sql::kInsertReuse},
      {"kPruneKeys", resolver_sql::kPruneKeys},
      {"kInsertConflicts", resolver_sql::kInsertConflicts},
      {"kInsertDeadLetter", resolver_sql::kInsertDeadLetter},
      {"kInsertLog", resolver_sql::kInsertLog},
      {"kInsertRecords", resolver_sql::kInsertRecords},
      {"kLockRecords", resolver_sql::kLockRecords},
      {"kResolveConflict", resolver_sql::kResolveConflict},
      {"kSelectRecords", resolver_sql::kSelectRecords},
      {"kSelectRecordsForUpdate", resolver_sql::kSelectRecordsForUpdate},
      {"kUpdateRecords", resolver_sql::kUpdateRecords},
      {"kUpsertDeferred", resolver_sql::kUpsertDeferred},
      {"kWakeDeferred", resolver_sql::kWakeDeferred},
  };
  for (const auto& [name, sql] : kStatements) connection.prepare(name, sql);
  return connection;
}

PgHubTransaction::PgHubTransaction(pqxx::connection& connection) {
  try {
    tx_.emplace(WithPreparedStatements(connection));
  } catch (const std::exception& error) {
    begun_ = StatusFromPgException(error, "beginning a transaction");
    if (begun_.ok()) begun_ = Status::Unavailable("beginning a transaction failed");
  }
}

StatusOr<std::vector<WorkItem>> PgHubTransaction::ClaimDueDeferred(int limit) {
  if (!tx_) return begun_;
  try {
    std::vector<WorkItem> items;
    for (const auto& row : tx_->exec_prepared("kClaimDueDeferred", limit)) {
      WorkItem item;
      item.event = EventFromStoredJson(ParseStoredJson(row[1].as<std::string>()));
      item.event.event_id = row[0].as<std::string>();
      item.prior_attempts = row[2].as<int>();
      item.event.credential_id = row[3].as<std::int64_t>();
      items.push_back(std::move(item));
    }
    return items;
  } catch (const std::exception& error) {
    return StatusFromPgException(error, "claiming deferred events");
  }
}

StatusOr<PgHubTransaction::KnownEvents> PgHubTransaction::FindKnown(
    const std::vector<EventKey>& keys, const std::set<EventKey>& reruns) {
  if (!tx_) return begun_;
  try {
    KnownEvents known;
    std::map<EventKey, std::string> stored_events;
    const std::vector<EventKey> rerun_keys(reruns.begin(), reruns.end());
    for (const auto& row : tx_->exec_prepared("kFindDecided", JsonText(EventKeysJson(keys)),
                                              JsonText(EventKeysJson(rerun_keys)))) {
      const std::string kind = row[0].as<std::string>();
      EventKey key(row[1].as<std::string>(), row[2].as<std::string>());
      if (kind == "key") {
        known.digests.insert_or_assign(key, HexToBytes(row[10].as<std::string>()));
        continue;
      }
      if (!row[10].is_null()) stored_events.emplace(key, row[10].as<std::string>());
      EventResult result;
      result.event_id = key.second;
      result.duplicate = true;
      if (kind == "dead") {
        result.dead_letter_reason = ParseDeadLetterReason(row[3].as<std::string>())
                                        .value_or(DeadLetterReason::kInternalError);
        result.dead_letter_id = row[8].as<std::int64_t>();
      } else {
        result.outcome = OutcomeFromName(row[3].as<std::string>());
        result.changed = row[4].as<bool>();
        if (!row[5].is_null()) result.etag = row[5].as<std::int64_t>();
        if (!row[6].is_null()) result.record_json = row[6].as<std::string>();
        result.log_seq = row[7].as<std::int64_t>();
        if (!row[8].is_null()) result.conflict_id = row[8].as<std::int64_t>();
        if (!row[9].is_null()) {
          for (const auto& conflict : ParseStoredJson(row[9].as<std::string>())) {
            result.conflicting_fields.push_back(conflict.at("field").get<std::string>());
          }
        }
      }
      known.decided.insert_or_assign(key, std::move(result));
    }
    // Keys decided before digests were kept: the digest of the event as stored.
    for (const auto& [key, text] : stored_events) {
      if (known.digests.count(key) != 0) continue;
      const Json stored = TryParseStoredJson(text);
      if (stored.is_object()) known.digests.emplace(key, EventDigest(EventFromStoredJson(stored)));
    }
    return known;
  } catch (const std::exception& error) {
    return StatusFromPgException(error, "looking up decided events");
  }
}

StatusOr<std::size_t> PgHubTransaction::InsertKeys(
    const std::vector<std::pair<EventKey, std::string>>& digests) {
  if (!tx_) return begun_;
  if (digests.empty()) return std::size_t{0};
  try {
    Json rows = Json::array();
    for (const auto& [key, digest] : digests) {
      rows.push_back(
          {{"source", key.first}, {"event_id", key.second}, {"digest", DigestHex(digest)}});
    }
    return static_cast<std::size_t>(
        tx_->exec_prepared("kInsertKeys", JsonText(rows)).affected_rows());
  } catch (const std::exception& error) {
    return StatusFromPgException(error, "keeping idempotency keys");
  }
}

Status PgHubTransaction::RecordReuse(const Event& event, const std::string& first_digest,
                                     const std::string& digest) {
  if (!tx_) return begun_;
  try {
    tx_->exec_prepared("kInsertReuse", event.source, event.event_id, EventJsonText(event),
                       DigestHex(first_digest), DigestHex(digest));
    return Status::Ok();
  } catch (const std::exception& error) {
    return StatusFromPgException(error, "recording a reused event id");
  }
}

StatusOr<std::int64_t> PgHubTransaction::PruneKeys(std::int64_t window_seconds, int limit) {
  if (!tx_) return begun_;
  try {
    return static_cast<std::int64_t>(
        tx_->exec_prepared("kPruneKeys", window_seconds, limit).affected_rows());
  } catch (const std::exception& error) {
    return StatusFromPgException(error, "forgetting old idempotency keys");
  }
}

StatusOr<StoredRecords> PgHubTransaction::ReadRecords(const std::vector<RecordKey>& keys,
                                                      bool lock) {
  if (!tx_) return begun_;
  try {
    StoredRecords records;
    const char* statement = lock ? "kSelectRecordsForUpdate" : "kSelectRecords";
    for (const auto& row : tx_->exec_prepared(statement, JsonText(KeysJson(keys)))) {
      StoredRecord stored = RecordFromRow(row);
      RecordKey key(stored.record.entity, stored.record.external_id);
      records.emplace(std::move(key), std::move(stored));
    }
    return records;
  } catch (const std::exception& error) {
    return StatusFromPgException(error, "reading records");
  }
}

Status PgHubTransaction::LockAndVerify(const BatchPlan& plan) {
  if (!tx_) return begun_;
  // Every existing record the plan read, written or not, locked in one statement in key
  // order (so that concurrent batches queue instead of deadlocking) and checked against the
  // etag read. The UPDATE after it is conditional on the same etag.
  std::map<RecordKey, std::int64_t> expected = plan.unchanged_reads;
  for (const auto& write : plan.writes) {
    if (write.expected_etag) expected.emplace(write.key, *write.expected_etag);
  }
  if (expected.empty()) return Status::Ok();
  std::vector<RecordKey> keys;
  for (const auto& [key, etag] : expected) keys.push_back(key);
  try {
    std::size_t seen = 0;
    for (const auto& row : tx_->exec_prepared("kLockRecords", JsonText(KeysJson(keys)))) {
      RecordKey key(row[0].as<std::string>(), row[1].as<std::string>());
      ++seen;
      if (row[2].as<std::int64_t>() != expected.at(key)) {
        return Status::Aborted("etag of " + key.first + "/" + key.second + " moved");
      }
    }
    if (seen != expected.size()) return Status::Aborted("a record read has disappeared");
    return Status::Ok();
  } catch (const std::exception& error) {
    return StatusFromPgException(error, "locking records");
  }
}

StatusOr<std::vector<EventResult>> PgHubTransaction::WritePlan(
    const BatchPlan& plan, const std::vector<int>& prior_attempts,
    const std::vector<DeferralStep>& deferral_steps) {
  if (!tx_) return begun_;
  std::vector<EventResult> results(plan.events.size());
  try {
    // 1. Records, each conditional on the etag it was read with.
    JsonWriter updates;
    JsonWriter inserts;
    updates.BeginArray();
    inserts.BeginArray();
    std::size_t update_count = 0;
    std::size_t insert_count = 0;
    std::vector<RecordKey> written;
    for (const auto& write : plan.writes) {
      JsonWriter& rows = write.expected_etag ? updates : inserts;
      ++(write.expected_etag ? update_count : insert_count);
      rows.BeginObject();
      rows.Key("entity").String(write.key.first);
      rows.Key("external_id").String(write.key.second);
      rows.Key("fields").BeginObject();
      for (const auto& [name, value] : write.record.fields) rows.Key(name).Value(value);
      rows.EndObject();
      rows.Key("provenance").BeginObject();
      for (const auto& [name, source] : write.record.provenance) rows.Key(name).String(source);
      rows.EndObject();
      rows.Key("field_versions").BeginObject();
      for (const auto& [name, value] : write.record.fields) {
        rows.Key(name).Int(write.record.FieldVersion(name));
      }
      rows.EndObject();
      rows.Key("version").Int(write.record.version);
      rows.Key("last_source").String(write.record.last_source);
      rows.Key("deleted").Bool(write.record.deleted());
      rows.Key("new_etag").Int(write.new_etag);
      if (write.expected_etag) rows.Key("expected_etag").Int(*write.expected_etag);
      rows.EndObject();
      written.push_back(write.key);
    }
    inserts.EndArray();
    updates.EndArray();
    if (insert_count > 0) {
      auto inserted = tx_->exec_prepared("kInsertRecords", inserts.text());
      if (inserted.affected_rows() != insert_count) {
        return Status::Aborted("a new record was inserted concurrently");
      }
    }
    if (update_count > 0) {
      auto updated = tx_->exec_prepared("kUpdateRecords", updates.text());
      if (updated.affected_rows() != update_count) {
        return Status::Aborted("a record's etag moved before the update");
      }
    }

    // 2. The log (with the outbound targets), conflicts and deferrals, event by event.
    LogColumns log;
    std::size_t log_count = 0;
    bool any_outbound = false;
    Json conflicts = Json::array();
    Json deferrals = Json::array();
    std::vector<EventKey> decided_reruns;
    std::vector<std::size_t> dead_by_deferral;
    for (std::size_t i = 0; i < plan.events.size(); ++i) {
      const PlannedEvent& planned = plan.events[i];
      const Event& event = planned.event;
      const Decision& decision = planned.decision;
      EventResult& result = results[i];
      result.event_id = event.event_id;
      result.changed = decision.changed;
      result.etag = planned.etag_after.value_or(0);
      const int attempts = prior_attempts.empty() ? 0 : prior_attempts[i];

      if (decision.outcome == Outcome::kDeferred) {
        const UnmetDependency& unmet = decision.unmet_dependencies.front();
        const DeferralStep& step = deferral_steps.at(i);
        if (step.kind == DeferralStep::Kind::kDeadLetter) {
          dead_by_deferral.push_back(i);
          continue;
        }
        result.outcome = Outcome::kDeferred;
        if (planned.record_after) result.record_json = RecordJsonText(*planned.record_after);
        deferrals.push_back({{"source", event.source},
                             {"event_id", event.event_id},
                             {"entity", event.entity},
                             {"external_id", event.external_id},
                             {"event", EventToJson(event)},
                             {"wait_entity", unmet.target_entity},
                             {"wait_external_id", unmet.target_external_id},
                             {"attempts", step.attempts},
                             {"delay_ms", step.delay.count()},
                             {"credential_id", event.credential_id}});
        continue;
      }
      result.outcome = decision.outcome;
      if (planned.record_after) result.record_json = RecordJsonText(*planned.record_after);
      if (attempts > 0) decided_reruns.push_back(KeyOf(event));
      const std::string event_json = EventJsonText(event);
      ++log_count;
      log.event_id.Add(event.event_id);
      log.entity.Add(event.entity);
      log.external_id.Add(event.external_id);
      log.source.Add(event.source);
      log.version.Add(event.version);
      log.event.Add(event_json);
      log.outcome.Add(OutcomeName(decision.outcome));
      log.changed.AddBool(decision.changed);
      log.credential_id.Add(event.credential_id);
      planned.etag_before ? log.etag_before.Add(*planned.etag_before) : log.etag_before.AddNull();
      planned.etag_after ? log.etag_after.Add(*planned.etag_after) : log.etag_after.AddNull();
      result.record_json.empty() ? log.record_after.AddNull()
                                 : log.record_after.Add(result.record_json);
      // The outbound queue: the targets of the record after this event (SPEC section 5).
      JsonWriter targets;
      targets.BeginArray();
      if (planned.record_after) {
        bool has_source = false;
        for (const auto& target : decision.targets) {
          targets.String(target);
          has_source = has_source || target == event.source;
        }
        // A deferred event decided on a re-run: its source got a DEFERRED answer long ago and
        // may hold other changes since, so it gets the record too (SPEC section 5).
        if (attempts > 0 && decision.changed && !has_source) targets.String(event.source);
      }
      targets.EndArray();
      log.targets.Add(targets.text());
      any_outbound = any_outbound || targets.text() != "[]";
      if (decision.outcome == Outcome::kManual) {
        Json conflicting = ConflictsJson(decision.conflicts);
        for (const auto& conflict : conflicting) {
          result.conflicting_fields.push_back(conflict["field"].get<std::string>());
        }
        conflicts.push_back({{"source", event.source},
                             {"event_id", event.event_id},
                             {"entity", event.entity},
                             {"external_id", event.external_id},
                             {"event", ParseStoredJson(event_json)},
                             {"canonical", ParseStoredJson(result.record_json)},
                             {"conflicting_fields", std::move(conflicting)}});
      }
    }
    if (log_count > 0) {
      std::map<EventKey, std::int64_t> seqs;
      for (const auto& row : tx_->exec_prepared(
               "kInsertLog", log.event_id.Text(), log.entity.Text(), log.external_id.Text(),
               log.source.Text(), log.version.Text(), log.event.Text(), log.outcome.Text(),
               log.changed.Text(), log.etag_before.Text(), log.etag_after.Text(),
               log.record_after.Text(), log.targets.Text(), log.credential_id.Text())) {
        seqs.emplace(EventKey(row[0].as<std::string>(), row[1].as<std::string>()),
                     row[2].as<std::int64_t>());
      }
      for (std::size_t i = 0; i < plan.events.size(); ++i) {
        auto seq = seqs.find(KeyOf(plan.events[i].event));
        if (seq != seqs.end()) results[i].log_seq = seq->second;
      }
      if (any_outbound) tx_->exec(resolver_sql::kNotifyOutbound);
    }
    if (!conflicts.empty()) {
      std::map<EventKey, std::int64_t> ids;
      for (const auto& row : tx_->exec_prepared("kInsertConflicts", JsonText(conflicts))) {
        ids.emplace(EventKey(row[0].as<std::string>(), row[1].as<std::string>()),
                    row[2].as<std::int64_t>());
      }
      for (std::size_t i = 0; i < plan.events.size(); ++i) {
        auto id = ids.find(KeyOf(plan.events[i].event));
        if (id != ids.end()) results[i].conflict_id = id->second;
      }
    }
    if (!deferrals.empty()) tx_->exec_prepared("kUpsertDeferred", JsonText(deferrals));
    for (std::size_t i : dead_by_deferral) {
      const PlannedEvent& planned = plan.events[i];
      const UnmetDependency& unmet = planned.decision.unmet_dependencies.front();
      auto id =
          InsertDeadLetter(planned.event.source, planned.event.event_id,
                           EventJsonText(planned.event), "", DeadLetterReason::kDependencyUnmet,
                           unmet.field + " -> " + unmet.target_entity + "/" +
                               unmet.target_external_id + " is missing or deleted",
                           deferral_steps.at(i).attempts);
      if (!id.ok()) return id.status();
      results[i].dead_letter_reason = DeadLetterReason::kDependencyUnmet;
      results[i].dead_letter_id = *id;
      decided_reruns.push_back(KeyOf(planned.event));
    }
    if (!decided_reruns.empty()) {
      tx_->exec_prepared("kDeleteDeferred", JsonText(EventKeysJson(decided_reruns)));
    }
    if (!written.empty()) {
      auto woken = tx_->exec_prepared("kWakeDeferred", JsonText(KeysJson(written)));
      if (woken.affected_rows() > 0) tx_->exec(resolver_sql::kNotifyDeferred);
    }
    return results;
  } catch (const std::exception& error) {
    return StatusFromPgException(error, "writing a batch");
  }
}

StatusOr<std::int64_t> PgHubTransaction::InsertDeadLetter(
    const std::string& source, const std::string& event_id, const std::string& event_json,
    const std::string& raw, DeadLetterReason reason, const std::string& detail, int attempts) {
  if (!tx_) return begun_;
  try {
    auto row =
        tx_->exec_prepared1("kInsertDeadLetter", event_id, event_json, raw,
                            std::string(DeadLetterReasonName(reason)), detail, attempts, source);
    return row[0].as<std::int64_t>();
  } catch (const std::exception& error) {
    return StatusFromPgException(error, "writing a dead letter");
  }
}

Status PgHubTransaction::DeleteDeferred(const std::vector<EventKey>& keys) {
  if (!tx_) return begun_;
  try {
    tx_->exec_prepared("kDeleteDeferred", JsonText(EventKeysJson(keys)));
    return Status::Ok();
  } catch (const std::exception& error) {
    return StatusFromPgException(error, "removing deferred events");
  }
}

Status PgHubTransaction::MarkConflictResolved(std::int64_t id, const std::string& take,
                                              std::int64_t credential_id) {
  if (!tx_) return begun_;
  try {
    auto updated = tx_->exec_prepared("kResolveConflict", id, take, credential_id);
    if (updated.affected_rows() == 0) {
      return Status::AlreadyExists("conflict " + std::to_string(id) + " is not open");
    }
    return Status::Ok();
  } catch (const std::exception& error) {
    return StatusFromPgException(error, "resolving a conflict");
  }
}

Status PgHubTransaction::Commit() {
  if (!tx_) return begun_;
  try {
    tx_->commit();
    return Status::Ok();
  } catch (const std::exception& error) {
    return StatusFromPgException(error, "committing");
  }
}

}  // namespace synchub
