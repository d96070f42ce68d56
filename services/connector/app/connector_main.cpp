// synchub-connector: two-way sync between one PostgreSQL database and the hub.
//   synchub-connector --config FILE setup    install the outbox, state tables and triggers
//   synchub-connector --config FILE run      push local changes, pull canonical ones
//   synchub-connector --config FILE status   outbox counts and parked rows
//   synchub-connector --config FILE snapshot send every row of the configured tables to the hub
//   synchub-connector --config FILE reconcile [--repair] [--json]
//                                            compare the tables with the hub's canonical records
// (`--config` may also follow the subcommand.) Exit codes: 0 done, 2 the database, the
// configuration or the command line is not usable (the message says what to fix); snapshot
// and reconcile add theirs (snapshot_command.hpp, reconcile_command.hpp).
#include <spdlog/spdlog.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <fstream>
#include <sstream>

#include "common/core/duration.hpp"
#include "common/metrics/metrics_exposer.hpp"
#include "common/pg/connection.hpp"
#include "common/runtime/service_logging.hpp"
#include "common/runtime/steady_clock.hpp"
#include "common/zmq/curve.hpp"
#include "common/zmq/stop_signals.hpp"
#include "connector/app/connector_metrics.hpp"
#include "connector/app/reconcile_command.hpp"
#include "connector/app/reconcile_loop.hpp"
#include "connector/app/snapshot_command.hpp"
#include "connector/app/sync_loops.hpp"
#include "connector/core/connector_config.hpp"
#include "connector/pg/connector_sync.hpp"

namespace synchub {
namespace {

// Prints the outbox counts and the parked rows. Throws pqxx errors (no outbox: not set up).
void PrintOutboxStatus(pqxx::connection_base& connection, const ConnectorConfig& config) {
  pqxx::read_transaction tx(connection);
  auto counts = tx.exec1(
      "SELECT count(*) FILTER (WHERE sent_at IS NULL AND NOT parked), "
      "count(*) FILTER (WHERE sent_at IS NOT NULL), count(*) FILTER (WHERE parked) "
      "FROM synchub_outbox");
  std::printf("source %s: %s pending, %s sent, %s parked\n", config.source.c_str(),
              counts[0].c_str(), counts[1].c_str(), counts[2].c_str());
  for (const auto& row : tx.exec("SELECT id, entity, external_id, op, retry_count, "
                                 "coalesce(last_error, '') FROM synchub_outbox WHERE parked "
                                 "ORDER BY id")) {
    std::printf("parked %s %s/%s %s after %s attempts: %s\n", row[0].c_str(), row[1].c_str(),
                row[2].c_str(), row[3].c_str(), row[4].c_str(), row[5].c_str());
  }
  // Inbound changes this database could not hold exactly (never applied, never rounded).
  for (const auto& row : tx.exec("SELECT id, entity, external_id, etag, error FROM "
                                 "synchub_inbound_parked ORDER BY id")) {
    std::printf("inbound parked %s %s/%s etag %s: %s\n", row[0].c_str(), row[1].c_str(),
                row[2].c_str(), row[3].c_str(), row[4].c_str());
  }
}

int PrintStatus(const ConnectorConfig& config) {
  auto connection = ConnectPg(config.database);
  if (!connection.ok()) {
    std::fprintf(stderr, "synchub-connector: %s\n", connection.status().message().c_str());
    return 2;
  }
  try {
    PrintOutboxStatus(**connection, config);
    return 0;
  } catch (const pqxx::undefined_table&) {
    std::fprintf(stderr,
                 "synchub-connector: %s's database has no synchub_outbox: run "
                 "`synchub-connector --config FILE setup` first\n",
                 config.source.c_str());
  } catch (const std::exception& error) {
    std::fprintf(stderr, "synchub-connector: status: %s\n", error.what());
  }
  return 2;
}

}  // namespace
}  // namespace synchub

int main(int argc, char** argv) {
  CLI::App app{"synchub-connector: two-way sync of one PostgreSQL database with synchub."};
  app.require_subcommand(1);
  app.fallthrough();  // `--config FILE` before or after the subcommand
  std::string config_path;
  std::string log_level = "info";
  app.add_option("--config", config_path, "the connector's JSON configuration")->required();
  app.add_option("--log-level", log_level, "trace|debug|info|warn|error");
  auto* setup = app.add_subcommand("setup", "install the outbox, state tables and triggers");
  auto* run = app.add_subcommand("run", "push local changes and pull canonical ones");
  std::string reconcile_every;
  std::string metrics_listen;
  run->add_option("--reconcile-every", reconcile_every,
                  "compare with the hub every DURATION (90s, 10m, 1h; needs \"api\")");
  run->add_option("--metrics-listen", metrics_listen,
                  "HOST:PORT for Prometheus /metrics (synchub_connector_*; port 0: any)");
  auto* status = app.add_subcommand("status", "outbox counts and parked rows");
  auto* snapshot = app.add_subcommand(
      "snapshot", "send every row of the configured tables to the hub (resumable, idempotent)");
  synchub::SnapshotOptions snapshot_options;
  snapshot->add_option("--chunk-rows", snapshot_options.chunk_rows, "rows per chunk")
      ->check(CLI::Range(1, 100000));
  snapshot->add_flag("--restart", snapshot_options.restart,
                     "begin a new snapshot even when one is unfinished");
  auto* reconcile = app.add_subcommand(
      "reconcile", "compare the tables with the hub's canonical records (exit 1: they differ)");
  synchub::ReconcileOptions reconcile_options;
  reconcile->add_flag("--repair", reconcile_options.repair,
                      "set differing rows to the canonical record; send rows the hub lacks");
  reconcile->add_flag("--json", reconcile_options.json, "print the report as JSON");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& error) {
    // --help prints and exits 0; a malformed command line is a configuration error: 2.
    return app.exit(error) == 0 ? 0 : 2;
  }

  std::ifstream file(config_path);
  if (!file) {
    std::fprintf(stderr, "synchub-connector: cannot read %s\n", config_path.c_str());
    return 2;
  }
  std::stringstream text;
  text << file.rdbuf();
  auto config = synchub::ParseConnectorConfig(text.str());
  if (!config.ok()) {
    std::fprintf(stderr, "synchub-connector: %s: %s\n", config_path.c_str(),
                 config.status().message().c_str());
    return 2;
  }
  for (const auto& server :
       {config->curve_submit_server_key_file, config->curve_outbound_server_key_file}) {
    if (auto keys = synchub::LoadCurveClientKeys(config->curve_secret_key_file, server);
        !keys.ok()) {
      std::fprintf(stderr, "synchub-connector: %s: curve: %s\n", config_path.c_str(),
                   keys.status().message().c_str());
      return 2;
    }
  }
  synchub::ConfigureServiceLogging("connector " + config->source, log_level);
  if (setup->parsed()) {
    auto connection = synchub::ConnectPg(config->database);
    if (!connection.ok()) {
      std::fprintf(stderr, "synchub-connector: %s\n", connection.status().message().c_str());
      return 2;
    }
    try {
      pqxx::work tx(**connection);
      tx.exec("SELECT pg_advisory_xact_lock(7365)");
      // Mapped column types that cannot hold every JSON value exactly: said before anything
      // is installed; json cannot be synced at all.
      for (const auto& mapping : config->entities) {
        for (const auto& [column, field] : mapping.columns_to_fields) {
          auto rows = tx.exec_params(
              "SELECT format_type(a.atttypid, a.atttypmod) FROM pg_attribute a "
              "WHERE a.attrelid = to_regclass($1) AND a.attname = $2 AND NOT a.attisdropped",
              mapping.table, column);
          if (rows.empty()) {
            std::fprintf(stderr, "synchub-connector setup: %s.%s: no such column\n",
                         mapping.table.c_str(), column.c_str());
            return 3;
          }
          const std::string type = rows[0][0].as<std::string>();
          if (synchub::ColumnTypeUnsupported(type)) {
            std::fprintf(stderr,
                         "synchub-connector setup: %s.%s is json, which has no equality to "
                         "detect changes with; change it to jsonb\n",
                         mapping.table.c_str(), column.c_str());
            return 3;
          }
          const std::string warning = synchub::ColumnTypeWarning(mapping.table, column, type);
          if (!warning.empty()) std::fprintf(stderr, "warning: %s\n", warning.c_str());
        }
      }
      tx.exec(synchub::SetupSql(*config));
      if (tx.exec1("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")[0].as<bool>()) {
        tx.exec(synchub::DdlGuardSql(*config));
      } else {
        std::fprintf(stderr,
                     "warning: not a superuser: DROP TABLE and ALTER TABLE of synced tables are "
                     "not guarded (event triggers need a superuser); run setup as one to add "
                     "the guard\n");
      }
      tx.commit();
    } catch (const std::exception& error) {
      std::fprintf(stderr, "synchub-connector setup: %s\n", error.what());
      return 3;
    }
    std::printf("set up %s\n", config->source.c_str());
    return 0;
  }
  if (status->parsed()) return synchub::PrintStatus(*config);
  if (reconcile->parsed()) {
    synchub::StopSignals stop_signals;
    zmq::context_t context(1);
    return synchub::RunReconcile(*config, reconcile_options, context, stop_signals.flag());
  }
  if (snapshot->parsed()) {
    synchub::StopSignals stop_signals;
    zmq::context_t context(1);
    return synchub::RunSnapshot(*config, snapshot_options, context, stop_signals.flag());
  }
  if (run->parsed()) {
    // Only `run` has a stop to carry out; setup and status end on Ctrl-C as any command.
    // Before the ZeroMQ context: its threads inherit the blocked mask.
    std::optional<std::chrono::seconds> every;
    if (!reconcile_every.empty()) {
      every = synchub::ParseDuration(reconcile_every);
      if (!every) {
        std::fprintf(stderr, "synchub-connector: --reconcile-every: a duration (90s, 10m, 1h)\n");
        return 2;
      }
      if (config->api_url.empty()) {
        std::fprintf(stderr, "synchub-connector: --reconcile-every needs \"api\" in %s\n",
                     config_path.c_str());
        return 2;
      }
    }
    auto registry = std::make_shared<prometheus::Registry>();
    std::unique_ptr<synchub::MetricsExposer> exposer;
    if (!metrics_listen.empty()) {
      auto started = synchub::MetricsExposer::Start(metrics_listen, registry);
      if (!started.ok()) {
        std::fprintf(stderr, "synchub-connector: %s\n", started.status().message().c_str());
        return 2;
      }
      exposer = std::move(started).value();
    }
    synchub::StopSignals stop_signals;
    zmq::context_t context(1);
    std::unique_ptr<synchub::ReconcileLoop> reconciler;
    if (every) {
      reconciler =
          std::make_unique<synchub::ReconcileLoop>(*config, *every, *registry, stop_signals.flag());
    }
    // Counted always (cheap); the refresher reads the local database only when they are served.
    synchub::SteadyClock clock;
    synchub::ConnectorMetrics metrics(*registry, config->source, clock);
    std::unique_ptr<synchub::ConnectorStatsRefresher> refresher;
    if (exposer) {
      refresher =
          std::make_unique<synchub::ConnectorStatsRefresher>(*config, metrics, stop_signals.flag());
    }
    synchub::SyncLoops loops(*config, context, stop_signals.flag(), &metrics);
    if (exposer) {
      std::printf("READY %s metrics %s\n", config->source.c_str(), exposer->url().c_str());
    } else {
      std::printf("READY %s\n", config->source.c_str());
    }
    std::fflush(stdout);
    loops.Join();
    spdlog::info("stopped");
  }
  return 0;
}
