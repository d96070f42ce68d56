// synchub-resolver: resolves events against PostgreSQL. See resolver_server.hpp.
#include <spdlog/spdlog.h>

#include <CLI/CLI.hpp>
#include <cstdint>
#include <cstdio>
#include <limits>
#include <tuple>

#include "common/core/duration.hpp"
#include "common/pg/connection.hpp"
#include "common/runtime/service_logging.hpp"
#include "common/zmq/stop_signals.hpp"
#include "resolver/app/resolver_server.hpp"

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
  auto& log = options.log_maintenance;
  app.add_option("--log-partition-events", log.partition_events,
                 "events per partition of the resolution log")
      ->check(CLI::Range(std::int64_t{10}, std::int64_t{1000000000}))
      ->capture_default_str();
  std::string log_retention = "7d";
  app.add_option("--log-retention", log_retention,
                 "keep the resolution log's events at least this long (90s, 10m, 2h, 7d)")
      ->capture_default_str();
  app.add_option("--log-max-bytes", log.retention.max_bytes,
                 "drop the oldest partitions while the log is larger (0: no size cap); a "
                 "change a source has not acknowledged still waits for --lag-cap")
      ->check(CLI::Range(std::int64_t{0}, std::numeric_limits<std::int64_t>::max()))
      ->capture_default_str();
  std::string lag_cap = "14d";
  app.add_option("--lag-cap", lag_cap,
                 "a source that has not acknowledged a change for longer loses it and is "
                 "reloaded when retention drops it")
      ->capture_default_str();
  std::string retention_every = "60s";
  app.add_option("--retention-every", retention_every,
                 "how often to apply the retention policy (0: never; run synchub-maintain)")
      ->capture_default_str();
  app.add_option("--log-archive-dir", log.archive_dir,
                 "write each dropped partition's rows here first (COPY text format)");
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
  for (auto [text, target, flag] :
       {std::tuple{&log_retention, &log.retention.max_age, "--log-retention"},
        std::tuple{&lag_cap, &log.retention.lag_cap, "--lag-cap"},
        std::tuple{&retention_every, &options.retention_every, "--retention-every"}}) {
    if (*text == "0" && target == &options.retention_every) {
      *target = std::chrono::seconds(0);
      continue;
    }
    auto parsed = synchub::ParseDuration(*text);
    if (!parsed) {
      std::fprintf(stderr, "%s: not a duration: %s (e.g. 90s, 10m, 2h, 7d)\n", flag, text->c_str());
      return 2;
    }
    *target = *parsed;
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
