#include "connector/app/reconcile_command.hpp"

#include <spdlog/spdlog.h>

#include <cstdio>
#include <set>

#include "common/core/json.hpp"
#include "common/pg/connection.hpp"
#include "connector/app/batch_push.hpp"
#include "connector/app/outbox_pusher.hpp"
#include "connector/pg/connector_sync.hpp"
#include "connector/pg/local_table.hpp"

namespace synchub {
namespace {

constexpr std::size_t kRangesPerRequest = 500;
constexpr std::size_t kExamples = 5;

StatusOr<EntityReconcile> CompareTable(pqxx::connection& connection, PgLocalTable& table,
                                       const std::string& entity, HubReader& hub,
                                       const ReconcileOptions& options) {
  EntityReconcile report;
  report.entity = entity;
  const std::vector<std::string> fields = table.FieldNames();
  std::vector<connector::KeyRange> todo = {{"", std::nullopt}};
  std::vector<connector::KeyRange> leaves;
  while (!todo.empty()) {
    const std::size_t take = std::min(todo.size(), kRangesPerRequest);
    std::vector<connector::KeyRange> batch(todo.end() - static_cast<std::ptrdiff_t>(take),
                                           todo.end());
    todo.resize(todo.size() - take);
    auto local = table.Checksums(connection, batch);
    if (!local.ok()) return local.status();
    auto remote = hub.Checksums(entity, fields, batch);
    if (!remote.ok()) return remote.status();
    report.ranges_checksummed += static_cast<std::int64_t>(batch.size());
    for (std::size_t i = 0; i < batch.size(); ++i) {
      if ((*local)[i] == (*remote)[i]) {
        report.compared += (*local)[i].rows;
        continue;
      }
      if (connector::CompareRowsOf((*local)[i], (*remote)[i], options.leaf_rows)) {
        leaves.push_back(batch[i]);
        continue;
      }
      auto keys = table.SplitKeys(connection, batch[i], options.fanout);
      if (!keys.ok()) return keys.status();
      std::vector<connector::KeyRange> parts = connector::SplitAt(batch[i], *keys);
      if (parts.size() < 2) {
        leaves.push_back(batch[i]);  // too few local rows to split: read the hub's
        continue;
      }
      todo.insert(todo.end(), parts.begin(), parts.end());
    }
  }
  for (const auto& leaf : leaves) {
    auto local = table.Rows(connection, leaf);
    if (!local.ok()) return local.status();
    auto remote = hub.Records(entity, leaf);
    if (!remote.ok()) return remote.status();
    auto tombstones = table.Tombstones(connection, leaf);
    if (!tombstones.ok()) return tombstones.status();
    report.hub_rows_read += static_cast<std::int64_t>(remote->size());
    std::set<std::string> keys;
    for (const auto& row : *local) keys.insert(row.key);
    for (const auto& row : *remote) {
      if (!row.deleted) keys.insert(row.key);
    }
    report.compared += static_cast<std::int64_t>(keys.size());
    for (auto& difference : connector::CompareRange(*local, *remote, fields, *tombstones)) {
      switch (difference.kind) {
        case connector::Difference::kMissingLocally:
          ++report.missing_locally;
          break;
        case connector::Difference::kMissingAtHub:
          ++report.missing_at_hub;
          break;
        case connector::Difference::kDiffering:
          ++report.differing;
          break;
      }
      report.differences.push_back(std::move(difference));
    }
    for (auto& row : *remote) {
      std::string key = row.key;
      report.canonical.emplace(std::move(key), std::move(row));
    }
  }
  std::sort(report.differences.begin(), report.differences.end(),
            [](const auto& a, const auto& b) { return a.key < b.key; });
  return report;
}

Json ReportJson(const std::string& source, const std::vector<EntityReconcile>& reports) {
  Json entities = Json::array();
  bool equal = true;
  for (const auto& report : reports) {
    Json examples = {{"missingLocally", Json::array()},
                     {"missingAtHub", Json::array()},
                     {"differing", Json::array()}};
    for (const auto& difference : report.differences) {
      const char* kind = difference.kind == connector::Difference::kMissingLocally
                             ? "missingLocally"
                         : difference.kind == connector::Difference::kMissingAtHub ? "missingAtHub"
                                                                                   : "differing";
      if (examples[kind].size() >= kExamples) continue;
      Json example = {{"externalId", difference.key},
                      {"localVersion", difference.local_version},
                      {"hubVersion", difference.hub_version}};
      if (!difference.fields.empty()) example["fields"] = difference.fields;
      examples[kind].push_back(std::move(example));
    }
    equal = equal && report.differences.empty();
    entities.push_back({{"entity", report.entity},
                        {"compared", report.compared},
                        {"equal", report.equal()},
                        {"missingLocally", report.missing_locally},
                        {"missingAtHub", report.missing_at_hub},
                        {"differing", report.differing},
                        {"examples", std::move(examples)},
                        {"rangesChecksummed", report.ranges_checksummed},
                        {"hubRowsRead", report.hub_rows_read}});
  }
  return {{"source", source}, {"equal", equal}, {"entities", std::move(entities)}};
}

void PrintReport(const Json& report) {
  std::printf("reconcile %s: %s\n", report["source"].get<std::string>().c_str(),
              report["equal"].get<bool>() ? "equal to the hub" : "differences found");
  for (const auto& entity : report["entities"]) {
    std::printf(
        "  %-10s compared %lld, equal %lld, missing locally %lld, missing at the hub %lld, "
        "differing %lld  (%lld ranges checksummed, %lld hub rows read)\n",
        entity["entity"].get<std::string>().c_str(),
        static_cast<long long>(entity["compared"].get<std::int64_t>()),
        static_cast<long long>(entity["equal"].get<std::int64_t>()),
        static_cast<long long>(entity["missingLocally"].get<std::int64_t>()),
        static_cast<long long>(entity["missingAtHub"].get<std::int64_t>()),
        static_cast<long long>(entity["differing"].get<std::int64_t>()),
        static_cast<long long>(entity["rangesChecksummed"].get<std::int64_t>()),
        static_cast<long long>(entity["hubRowsRead"].get<std::int64_t>()));
    for (const auto& [kind, examples] : entity["examples"].items()) {
      for (const auto& example : examples) {
        std::string fields;
        if (example.contains("fields")) {
          for (const auto& field : example["fields"]) {
            fields += (fields.empty() ? " fields " : ", ") + field.get<std::string>();
          }
        }
        const long long here = example["localVersion"].get<std::int64_t>();
        const long long hub = example["hubVersion"].get<std::int64_t>();
        std::string versions;
        if (kind == "missingLocally") {
          versions = (here > 0 ? "deleted here at version " + std::to_string(here)
                               : std::string("no row here")) +
                     ", version " + std::to_string(hub) + " at the hub";
        } else if (kind == "missingAtHub") {
          versions = "version " + std::to_string(here) + " here, no record at the hub";
        } else {
          versions =
              "version " + std::to_string(here) + " here, " + std::to_string(hub) + " at the hub";
        }
        std::printf("    %-15s %s (%s)%s\n", kind.c_str(),
                    example["externalId"].get<std::string>().c_str(), versions.c_str(),
                    fields.c_str());
      }
    }
  }
}

struct RepairCounts {
  std::int64_t set_to_canonical = 0;
  std::int64_t held = 0;  // a local change of the key was pending: applied once answered
  std::int64_t submitted = 0;
};

StatusOr<RepairCounts> Repair(pqxx::connection& connection, const ConnectorConfig& config,
                              const std::vector<EntityReconcile>& reports, OutboxPusher& pusher,
                              const std::atomic<bool>& stop) {
  RepairCounts counts;
  InboundApplier applier(config);
  const std::string run = config.source + "-reconcile-" + std::to_string(std::time(nullptr));
  for (const auto& report : reports) {
    std::vector<InboundApplier::Incoming> canonical;
    std::vector<std::string> submit;
    std::map<std::string, std::int64_t> deleted;
    for (const auto& difference : report.differences) {
      if (difference.repair == connector::Repair::kSubmitLocal) {
        if (difference.local_deleted) {
          deleted[difference.key] = difference.local_version;
        } else {
          submit.push_back(difference.key);
        }
        continue;
      }
      const connector::HubRow& row = report.canonical.at(difference.key);
      canonical.push_back(
          {report.entity, row.key, row.etag, row.record, InboundApplier::Incoming::Mode::kRepair});
    }
    for (std::size_t at = 0; at < canonical.size(); at += 500) {
      std::vector<InboundApplier::Incoming> part(
          canonical.begin() + static_cast<std::ptrdiff_t>(at),
          canonical.begin() + static_cast<std::ptrdiff_t>(std::min(at + 500, canonical.size())));
      auto applied = applier.ApplyRepair(connection, part);
      if (!applied.ok()) return applied.status();
      counts.set_to_canonical += applied->applied;
      counts.held += applied->held;
    }
    if (!submit.empty() || !deleted.empty()) {
      PgLocalTable table(config.source, *config.ForEntity(report.entity));
      auto queued = table.QueueLocalState(connection, run, submit, deleted);
      if (!queued.ok()) return queued.status();
      counts.submitted += *queued;
    }
  }
  if (counts.submitted > 0) {
    const Status pushed = PushBatch(
        connection, pusher, run, stop, [](std::int64_t) -> StatusOr<bool> { return false; },
        [](std::int64_t pending) {
          if (pending > 0) std::fprintf(stderr, "%lld rows wait for the hub\n", (long long)pending);
        });
    if (!pushed.ok()) return pushed;
    // What the hub answered is applied here once nothing of the key is pending.
    if (auto settled = applier.SettleHeld(connection); !settled.ok()) return settled.status();
  }
  return counts;
}

}  // namespace

StatusOr<std::vector<EntityReconcile>> CompareWithHub(pqxx::connection& connection,
                                                      const ConnectorConfig& config, HubReader& hub,
                                                      const ReconcileOptions& options) {
  std::vector<EntityReconcile> reports;
  for (const auto& mapping : config.entities) {
    PgLocalTable table(config.source, mapping);
    auto report = CompareTable(connection, table, mapping.entity, hub, options);
    if (!report.ok()) return report.status();
    reports.push_back(std::move(report).value());
  }
  return reports;
}

int RunReconcile(const ConnectorConfig& config, const ReconcileOptions& options,
                 zmq::context_t& context, const std::atomic<bool>& stop) {
  if (config.api_url.empty()) {
    std::fprintf(stderr,
                 "synchub-connector reconcile: the configuration has no \"api\" (the hub's HTTP "
                 "API, http://HOST:PORT)\n");
    return 2;
  }
  auto connection = ConnectPg(config.database);
  if (!connection.ok()) {
    std::fprintf(stderr, "synchub-connector reconcile: %s\n",
                 connection.status().message().c_str());
    return 2;
  }
  HubReader hub(config.api_url, config.api_token);
  auto reports = CompareWithHub(**connection, config, hub, options);
  if (!reports.ok()) {
    std::fprintf(stderr, "synchub-connector reconcile: %s\n", reports.status().message().c_str());
    return 2;
  }
  Json report = ReportJson(config.source, *reports);
  if (options.repair && !report["equal"].get<bool>()) {
    OutboxPusher pusher(config, context, stop);
    auto repaired = Repair(**connection, config, *reports, pusher, stop);
    if (!repaired.ok()) {
      std::fprintf(stderr, "synchub-connector reconcile --repair: %s\n",
                   repaired.status().message().c_str());
      return stop ? 3 : 2;
    }
    report["repair"] = {{"setToCanonical", repaired->set_to_canonical},
                        {"heldForPendingLocalChange", repaired->held},
                        {"submittedToHub", repaired->submitted}};
    auto after = CompareWithHub(**connection, config, hub, options);
    if (!after.ok()) {
      std::fprintf(stderr, "synchub-connector reconcile: %s\n", after.status().message().c_str());
      return 2;
    }
    report["after"] = ReportJson(config.source, *after);
  }
  if (options.json) {
    std::printf("%s\n", JsonText(report).c_str());
  } else {
    PrintReport(report);
    if (report.contains("repair")) {
      std::printf(
          "repaired: %lld row(s) set to the canonical record, %lld held behind a pending "
          "local change, %lld sent to the hub\n",
          static_cast<long long>(report["repair"]["setToCanonical"].get<std::int64_t>()),
          static_cast<long long>(report["repair"]["heldForPendingLocalChange"].get<std::int64_t>()),
          static_cast<long long>(report["repair"]["submittedToHub"].get<std::int64_t>()));
      std::printf("after the repair:\n");
      PrintReport(report["after"]);
    }
  }
  const Json& final_report = report.contains("after") ? report["after"] : report;
  return final_report["equal"].get<bool>() ? 0 : 1;
}

}  // namespace synchub
