#include "resolver/app/batch_resolver.hpp"

#include <spdlog/spdlog.h>

#include <map>
#include <set>

#include "common/core/event_parse.hpp"
#include "common/runtime/steady_clock.hpp"
#include "resolver/core/batch_plan.hpp"
#include "resolver/pg/hub_transaction.hpp"

namespace synchub {

BatchResolver::BatchResolver(pqxx::connection& connection, BatchResolverOptions options)
    : connection_(connection), options_(options) {}

StatusOr<std::vector<EventResult>> BatchResolver::RunUnit(std::vector<WorkItem>* items,
                                                          int claim_limit, const Catalog& catalog) {
  Status last = Status::Aborted("no attempt made");
  for (int attempt = 1; attempt <= options_.max_attempts; ++attempt) {
    PgHubTransaction tx(connection_);
    if (claim_limit > 0) {
      auto claimed = tx.ClaimDueDeferred(claim_limit);
      if (!claimed.ok()) return claimed.status();
      *items = std::move(claimed).value();
      if (items->empty()) return std::vector<EventResult>{};
    }
    std::vector<std::string> ids;
    std::set<std::string> reruns;
    for (const auto& item : *items) {
      ids.push_back(item.event.event_id);
      if (item.prior_attempts > 0) reruns.insert(item.event.event_id);
    }
    auto decided = tx.FindDecided(ids, reruns);
    if (!decided.ok()) return decided.status();

    // Fresh events, each event id once (a repeat inside the batch gets the first's answer).
    std::vector<Event> fresh;
    std::vector<int> attempts;
    std::map<std::string, std::size_t> fresh_index;
    for (const auto& item : *items) {
      const std::string& id = item.event.event_id;
      if (decided->count(id) != 0 || fresh_index.count(id) != 0) continue;
      fresh_index.emplace(id, fresh.size());
      fresh.push_back(item.event);
      attempts.push_back(item.prior_attempts);
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
    }
    Status committed = tx.Commit();
    if (committed.code() == StatusCode::kAborted) {
      last = committed;
      continue;
    }
    if (!committed.ok()) return committed;

    std::vector<EventResult> results;
    std::set<std::string> answered;
    for (const auto& item : *items) {
      const std::string& id = item.event.event_id;
      auto known = decided->find(id);
      if (known != decided->end()) {
        results.push_back(known->second);
        continue;
      }
      EventResult result = fresh_results[fresh_index.at(id)];
      if (!answered.insert(id).second) result.duplicate = true;
      results.push_back(std::move(result));
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
    auto id = tx.InsertDeadLetter(item.event.event_id, as_raw ? "" : event_json,
                                  as_raw ? event_json : "", reason, detail, 1);
    if (id.status().code() == StatusCode::kInvalidArgument && !as_raw) continue;
    if (!id.ok()) return id.status();
    if (item.prior_attempts > 0) {
      if (Status removed = tx.DeleteDeferred({item.event.event_id}); !removed.ok()) return removed;
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
