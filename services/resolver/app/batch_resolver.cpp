#include "resolver/app/batch_resolver.hpp"

#include <spdlog/spdlog.h>

#include <map>
#include <set>

#include "common/core/event_parse.hpp"
#include "common/runtime/steady_clock.hpp"
#include "resolver/core/batch_plan.hpp"
#include "resolver/core/event_digest.hpp"
#include "resolver/core/idempotency.hpp"
#include "resolver/pg/hub_transaction.hpp"

namespace synchub {

BatchResolver::BatchResolver(pqxx::connection& connection, BatchResolverOptions options)
    : connection_(connection), options_(options) {}

namespace {

// The answer to an event whose key names other content (SPEC section 4): 409 over HTTP.
EventResult ReusedResult(const Event& event) {
  EventResult result;
  result.event_id = event.event_id;
  result.error = Status::AlreadyExists(
      "eventId", "event_id_reused",
      "eventId '" + event.event_id + "' of source " + event.source +
          " was already used for an event with other content; nothing of this one was "
          "applied. Send new content under a new eventId");
  return result;
}

}  // namespace

StatusOr<std::vector<EventResult>> BatchResolver::RunUnit(std::vector<WorkItem>* items,
                                                          int claim_limit, const Catalog& catalog) {
  Status last = Status::Aborted("no attempt made");
  for (int attempt = 1; attempt <= options_.max_attempts; ++attempt) {
    PgHubTransaction tx(connection_);
    if (!tx.begun().ok()) return tx.begun();
    if (claim_limit > 0) {
      auto claimed = tx.ClaimDueDeferred(claim_limit);
      if (!claimed.ok()) return claimed.status();
      *items = std::move(claimed).value();
      if (items->empty()) return std::vector<EventResult>{};
    }
    std::vector<EventKey> keys;
    std::set<EventKey> reruns;
    std::vector<KeyedEvent> keyed;
    for (const auto& item : *items) {
      keys.push_back(KeyOf(item.event));
      if (item.prior_attempts > 0) reruns.insert(KeyOf(item.event));
      keyed.push_back({KeyOf(item.event), EventDigest(item.event), item.prior_attempts > 0});
    }
    auto known = tx.FindKnown(keys, reruns);
    if (!known.ok()) return known.status();
    const std::vector<KeyVerdict> verdicts = CheckKeys(keyed, known->digests, known->decided);

    // Fresh events are resolved; the rest are answered from what is recorded.
    std::vector<Event> fresh;
    std::vector<int> attempts;
    std::vector<std::size_t> fresh_index(items->size(), 0);
    std::vector<std::pair<EventKey, std::string>> new_keys;
    for (std::size_t i = 0; i < items->size(); ++i) {
      const WorkItem& item = (*items)[i];
      if (verdicts[i].kind == KeyVerdict::Kind::kReused) {
        Status recorded = tx.RecordReuse(item.event, verdicts[i].kept_digest, keyed[i].digest);
        if (!recorded.ok()) return recorded;
        continue;
      }
      if (verdicts[i].kind != KeyVerdict::Kind::kFresh) continue;
      fresh_index[i] = fresh.size();
      fresh.push_back(item.event);
      attempts.push_back(item.prior_attempts);
      // A key kept already (a replayed dead letter) keeps its first digest.
      if (item.prior_attempts == 0 && known->digests.count(keyed[i].key) == 0) {
        new_keys.emplace_back(keyed[i].key, keyed[i].digest);
      }
    }
    std::vector<EventResult> fresh_results;
    if (!fresh.empty()) {
      auto stored = tx.ReadRecords(KeysToRead(fresh, catalog), /*lock=*/attempt > 1);
      if (!stored.ok()) return stored.status();
      BatchPlan plan = PlanBatch(fresh, *stored, catalog);
      Status verified = tx.LockAndVerify(plan);
      if (verified.code() == StatusCode::kAborted) {
        last = verified;
        continue;
      }
      if (!verified.ok()) return verified;
      // The app layer decides what becomes of deferred events; the adapter writes it.
      auto written = tx.WritePlan(plan, attempts,
                                  DecideDeferrals(plan, attempts, options_.deferral, JitterDraw));
      if (written.status().code() == StatusCode::kAborted) {
        last = written.status();
        continue;
      }
      if (!written.ok()) return written.status();
      fresh_results = std::move(written).value();
      auto kept = tx.InsertKeys(new_keys);
      if (!kept.ok()) return kept.status();
      if (*kept != new_keys.size()) {
        // Another transaction decided one of these events meanwhile (the same key submitted
        // twice at once): this attempt rolls back and the next answers it as a duplicate.
        last = Status::Aborted("an event was decided concurrently");
        continue;
      }
    }
    Status committed = tx.Commit();
    if (committed.code() == StatusCode::kAborted) {
      last = committed;
      continue;
    }
    if (!committed.ok()) return committed;

    std::vector<EventResult> results;
    results.reserve(items->size());
    for (std::size_t i = 0; i < items->size(); ++i) {
      const KeyVerdict& verdict = verdicts[i];
      switch (verdict.kind) {
        case KeyVerdict::Kind::kFresh:
          results.push_back(fresh_results[fresh_index[i]]);
          break;
        case KeyVerdict::Kind::kDuplicate:
          results.push_back(known->decided.at(keys[i]));
          break;
        case KeyVerdict::Kind::kRepeat:
          results.push_back(results[verdict.first]);
          results.back().duplicate = true;
          break;
        case KeyVerdict::Kind::kReused:
          results.push_back(ReusedResult((*items)[i].event));
          break;
      }
    }
    return results;
  }
  return last;
}

StatusOr<EventResult> BatchResolver::DeadLetter(const WorkItem& item, DeadLetterReason reason,
                                                const std::string& detail) {
  const std::string event_json = JsonText(EventToJson(item.event));
  for (bool as_raw : {false, true}) {
    PgHubTransaction tx(connection_);
    if (!tx.begun().ok()) return tx.begun();
    auto id = tx.InsertDeadLetter(item.event.source, item.event.event_id, as_raw ? "" : event_json,
                                  as_raw ? event_json : "", reason, detail, 1);
    if (id.status().code() == StatusCode::kInvalidArgument && !as_raw) continue;
    if (!id.ok()) return id.status();
    if (item.prior_attempts > 0) {
      if (Status removed = tx.DeleteDeferred({KeyOf(item.event)}); !removed.ok()) return removed;
    } else if (Status kept = tx.InsertKeys({{KeyOf(item.event), EventDigest(item.event)}}).status();
               !kept.ok()) {
      return kept;
    }
    if (Status committed = tx.Commit(); !committed.ok()) return committed;
    spdlog::warn("dead letter {} for event {}: {} ({})", *id, item.event.event_id,
                 DeadLetterReasonName(reason), detail);
    EventResult result;
    result.event_id = item.event.event_id;
    result.dead_letter_reason = reason;
    result.dead_letter_id = *id;
    return result;
  }
  return Status::Internal("the dead letter could not be stored");
}

StatusOr<EventResult> BatchResolver::ResolveAlone(const WorkItem& item, const Catalog& catalog) {
  std::vector<WorkItem> one = {item};
  auto results = RunUnit(&one, 0, catalog);
  if (results.ok()) return results->front();
  const Status& error = results.status();
  switch (error.code()) {
    case StatusCode::kUnavailable:
      return error;
    case StatusCode::kAborted:
      return DeadLetter(item, DeadLetterReason::kEtagRetriesExhausted, error.message());
    case StatusCode::kInvalidArgument:
      return DeadLetter(item, DeadLetterReason::kDatabaseRejected, error.message());
    default:
      return DeadLetter(item, DeadLetterReason::kInternalError, error.message());
  }
}

StatusOr<std::vector<EventResult>> BatchResolver::Resolve(std::vector<WorkItem> items,
                                                          const Catalog& catalog) {
  if (items.empty()) return std::vector<EventResult>{};
  auto results = RunUnit(&items, 0, catalog);
  if (results.ok() || results.status().code() == StatusCode::kUnavailable) return results;
  if (items.size() > 1) {
    spdlog::info("batch of {} failed ({}); resolving its events one by one", items.size(),
                 results.status().message());
  }
  std::vector<EventResult> split;
  for (const auto& item : items) {
    auto one = ResolveAlone(item, catalog);
    if (!one.ok()) return one.status();
    split.push_back(std::move(one).value());
  }
  return split;
}

StatusOr<std::vector<EventResult>> BatchResolver::ResolveDue(int limit, const Catalog& catalog) {
  std::vector<WorkItem> claimed;
  auto results = RunUnit(&claimed, limit, catalog);
  if (results.ok() || results.status().code() == StatusCode::kUnavailable) return results;
  std::vector<EventResult> split;
  for (const auto& item : claimed) {
    auto one = ResolveAlone(item, catalog);
    if (!one.ok()) return one.status();
    split.push_back(std::move(one).value());
  }
  return split;
}

}  // namespace synchub
