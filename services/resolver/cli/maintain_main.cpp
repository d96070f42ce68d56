// synchub-maintain: one run of the resolution log's maintenance (docs/design.md, "Log
// retention"; docs/operations.md): creates partitions ahead of the log's sequence, then
// applies the retention policy, and prints what it did. For deployments that run the policy
// on a schedule (cron, a Kubernetes CronJob) instead of in the resolver
// (synchub-resolver --retention-every 0). It creates partitions only when given
// --log-partition-events (the resolver makes them, at its own size). Exit status: 0 done, 1 the
// database failed or a step could not take its lock (run again), 2 bad command line.
#include <CLI/CLI.hpp>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <string>

#include "common/pg/connection.hpp"
#include "resolver/cli/log_maintenance_flags.hpp"
#include "resolver/pg/log_maintenance.hpp"

int main(int argc, char** argv) {
  CLI::App app{"synchub-maintain: create the resolution log's partitions and apply its retention"};
  std::string db;
  app.add_option("--db", db, "PostgreSQL connection string or URL")
      ->envname("SYNCHUB_DB")
      ->required();
  synchub::LogMaintenanceOptions options;
  synchub::LogMaintenanceFlags texts;
  synchub::AddLogMaintenanceFlags(app, options, texts);
  bool dry_run = false;
  app.add_flag("--dry-run", dry_run, "say what would be dropped; change nothing");
  bool json = false;
  app.add_flag("--json", json, "print the report as JSON");
  CLI11_PARSE(app, argc, argv);

  if (!synchub::ApplyLogMaintenanceFlags(texts, options)) return 2;
  auto connection = synchub::ConnectPg(synchub::PgConninfoFrom(db));
  if (!connection.ok()) {
    std::fprintf(stderr, "synchub-maintain: %s\n", connection.status().message().c_str());
    return 1;
  }
  synchub::PgLogMaintenance maintenance(**connection, options);
  // Partitions are the resolver's to size: made here only with an explicit size (the same
  // as the resolver's --log-partition-events).
  synchub::StatusOr<std::vector<std::string>> created = std::vector<std::string>{};
  if (app.count("--log-partition-events") > 0 && !dry_run) created = maintenance.EnsurePartitions();
  if (!created.ok()) {
    std::fprintf(stderr, "synchub-maintain: %s\n", created.status().message().c_str());
    return 1;
  }
  auto report = maintenance.ApplyRetention(dry_run);
  if (!report.ok()) {
    std::fprintf(stderr, "synchub-maintain: %s\n", report.status().message().c_str());
    return 1;
  }
  nlohmann::json out = {{"created", *created},
                        {"dropped", nlohmann::json::array()},
                        {"wouldDrop", nlohmann::json::array()},
                        {"keptBecause", report->kept_because},
                        {"partitions", report->partitions},
                        {"logBytes", report->log_bytes}};
  for (const auto& drop : report->dropped) {
    out["dropped"].push_back({{"partition", drop.name},
                              {"seqFrom", drop.seq_from},
                              {"seqTo", drop.seq_to},
                              {"events", drop.events},
                              {"bytes", drop.bytes},
                              {"checkpoints", drop.checkpoints},
                              {"reason", drop.reason},
                              {"reloaded", drop.reloaded},
                              {"archivedTo", drop.archived_to}});
  }
  for (const auto& drop : report->planned) {
    out["wouldDrop"].push_back(
        {{"partition", drop.name}, {"reason", drop.reason}, {"reload", drop.reload}});
  }
  if (json) {
    std::printf("%s\n", out.dump(2).c_str());
    return 0;
  }
  for (const auto& name : *created) std::printf("created %s\n", name.c_str());
  for (const auto& drop : report->dropped) {
    std::printf("dropped %s: seq %lld to %lld, %lld events, %lld bytes (%s)%s%s\n",
                drop.name.c_str(), static_cast<long long>(drop.seq_from),
                static_cast<long long>(drop.seq_to - 1), static_cast<long long>(drop.events),
                static_cast<long long>(drop.bytes), drop.reason.c_str(),
                drop.archived_to.empty() ? "" : ", archived to ", drop.archived_to.c_str());
    for (const auto& source : drop.reloaded) {
      std::printf("  %s had not acknowledged changes past the lag cap: marked for a reload\n",
                  source.c_str());
    }
  }
  for (const auto& drop : report->planned) {
    std::printf("would drop %s (%s)\n", drop.name.c_str(), drop.reason.c_str());
    for (const auto& source : drop.reload) {
      std::printf("  %s has not acknowledged changes past the lag cap: would be reloaded\n",
                  source.c_str());
    }
  }
  if (!report->kept_because.empty()) std::printf("kept %s\n", report->kept_because.c_str());
  std::printf("%d partitions, %lld bytes\n", report->partitions,
              static_cast<long long>(report->log_bytes));
  return 0;
}
