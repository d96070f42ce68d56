// synchub-resolver: resolves events against PostgreSQL. See resolver_server.hpp.
#include <spdlog/spdlog.h>

#include <CLI/CLI.hpp>
#include <cstdio>

#include "common/core/duration.hpp"
#include "common/pg/connection.hpp"
#include "common/runtime/service_logging.hpp"
#include "common/zmq/stop_signals.hpp"
#include "resolver/app/resolver_server.hpp"
#include "resolver/cli/log_maintenance_flags.hpp"

int main(int argc, char** argv) {
  CLI::App app{"synchub-resolver: applies the resolution ladder to events against PostgreSQL."};
  synchub::StopSignals stop_signals;  // first: every thread started later inherits its mask
  synchub::ResolverServerOptions options;
  std::string db;
  std::string log_level = "info";
  int defer_initial_ms = 1000;
  int defer_max_ms = 60000;
  int catalog_refresh_ms = 500;
  app.add_option("--db", db, "libpq connection string")->envname("SYNCHUB_DB");
  app.add_option("--listen", options.listen_endpoint, "ROUTER endpoint for submissions")
      ->envname("SYNCHUB_RESOLVER_LISTEN")
      ->capture_default_str();
  app.add_option("--dead-letters", options.dead_letter_endpoint, "PUB endpoint for dead letters")
      ->envname("SYNCHUB_RESOLVER_DEAD_LETTERS")
      ->capture_default_str();
  app.add_option("--workers", options.workers, "worker threads (one connection each)")
      ->check(CLI::Range(1, 64))
      ->capture_default_str();
  app.add_option("--batch-max", options.max_batch_events, "events per transaction")
      ->check(CLI::Range(1, 10000))
      ->capture_default_str();
  app.add_option("--etag-attempts", options.resolver.max_attempts,
                 "optimistic attempts before a batch is split / an event is dead-lettered")
      ->check(CLI::Range(1, 100))
      ->capture_default_str();
  app.add_option("--defer-initial-ms", defer_initial_ms, "first deferral delay")
      ->check(CLI::Range(1, 3600000))
      ->capture_default_str();
  app.add_option("--defer-max-ms", defer_max_ms, "largest deferral delay")
      ->check(CLI::Range(1, 86400000))
      ->capture_default_str();
  app.add_option("--defer-jitter", options.resolver.deferral.jitter,
                 "share of a deferral delay that may be taken away at random (0: none)")
      ->check(CLI::Range(0.0, 1.0))
      ->capture_default_str();
  app.add_option("--defer-attempts", options.resolver.deferral.max_attempts,
                 "attempts before DEPENDENCY_UNMET")
      ->check(CLI::Range(1, 1000))
      ->capture_default_str();
  app.add_option("--lock-timeout-ms", options.lock_timeout_ms,
                 "longest wait for a row lock before a batch answers UNAVAILABLE (0: none)")
      ->check(CLI::Range(0, 600000))
      ->capture_default_str();
  app.add_option("--statement-timeout-ms", options.statement_timeout_ms,
                 "longest statement before a batch answers UNAVAILABLE (0: none)")
      ->check(CLI::Range(0, 600000))
      ->capture_default_str();
  int idempotency_window_hours = 24 * 7;
  app.add_option("--idempotency-window-hours", idempotency_window_hours,
                 "how long an event id and its content digest are kept (SPEC section 4)")
      ->check(CLI::Range(1, 24 * 3650))
      ->capture_default_str();
  // The resolution log's partitions and retention (docs/design.md, "Log retention").
  synchub::LogMaintenanceFlags log_texts;
  synchub::AddLogMaintenanceFlags(app, options.log_maintenance, log_texts);
  std::string retention_every = "60s";
  app.add_option("--retention-every", retention_every,
                 "how often to apply the retention policy (0: never; run synchub-maintain)")
      ->capture_default_str();
  app.add_option("--catalog-refresh-ms", catalog_refresh_ms, "catalog reload interval")
      ->check(CLI::Range(10, 60000))
      ->capture_default_str();
  app.add_option("--metrics-listen", options.metrics_listen,
                 "HOST:PORT to serve Prometheus metrics at /metrics (off when empty)")
      ->envname("SYNCHUB_RESOLVER_METRICS");
  app.add_option("--log-level", log_level, "trace|debug|info|warn|error")
      ->envname("SYNCHUB_LOG_LEVEL")
      ->capture_default_str();
  app.add_option("--curve-secret-key", options.curve_secret_key_file,
                 "the resolver's CURVE secret key file (synchub-keygen; docs/security.md)")
      ->envname("SYNCHUB_CURVE_SECRET_KEY");
  app.add_flag("--insecure", options.insecure,
               "no CURVE: trust every ZeroMQ peer (tests and local experiments only)");
  CLI11_PARSE(app, argc, argv);

  synchub::ConfigureServiceLogging("resolver", log_level);
  options.conninfo = synchub::PgConninfoFrom(db);
  options.resolver.deferral.initial_delay = std::chrono::milliseconds(defer_initial_ms);
  options.resolver.deferral.max_delay = std::chrono::milliseconds(defer_max_ms);
  options.catalog_refresh = std::chrono::milliseconds(catalog_refresh_ms);
  options.idempotency_window = std::chrono::hours(idempotency_window_hours);
  if (!synchub::ApplyLogMaintenanceFlags(log_texts, options.log_maintenance)) return 2;
  if (retention_every == "0") {
    options.retention_every = std::chrono::seconds(0);
  } else if (auto every = synchub::ParseDuration(retention_every)) {
    options.retention_every = *every;
  } else {
    std::fprintf(stderr, "--retention-every: not a duration: %s (e.g. 60s, 10m, 0)\n",
                 retention_every.c_str());
    return 2;
  }

  if (options.insecure) {
    spdlog::warn(
        "INSECURE: --insecure is set: any ZeroMQ peer may submit as any source and "
        "read dead letters. Never run this way on a network others can reach.");
  }
  auto server = synchub::ResolverServer::Start(options);
  if (!server.ok()) {
    spdlog::critical("cannot start: {}", server.status().message());
    return server.status().code() == synchub::StatusCode::kFailedPrecondition ? 3 : 2;
  }
  // Declared after `server`: destroyed first, so no stop can reach a server being destroyed.
  auto stop_subscription = stop_signals.OnStop([server = server->get()] { server->Stop(); });
  spdlog::info("listening on {}, dead letters on {}, {} workers", (*server)->endpoint(),
               (*server)->dead_letter_endpoint(), options.workers);
  if (!(*server)->metrics_url().empty()) spdlog::info("metrics at {}", (*server)->metrics_url());
  std::printf("READY %s %s %s\n", (*server)->endpoint().c_str(),
              (*server)->dead_letter_endpoint().c_str(), (*server)->metrics_url().c_str());
  std::fflush(stdout);
  (*server)->Run();
  spdlog::info("stopped");
  return 0;
}
