// synchub-outbound: streams the outbound queue to connectors. See outbound_server.hpp.
#include <spdlog/spdlog.h>

#include <CLI/CLI.hpp>
#include <cstdio>

#include "common/pg/connection.hpp"
#include "common/runtime/service_logging.hpp"
#include "common/zmq/stop_signals.hpp"
#include "outbound/app/outbound_server.hpp"

int main(int argc, char** argv) {
  CLI::App app{"synchub-outbound: streams canonical changes to the connectors."};
  synchub::StopSignals stop_signals;  // first: every thread started later inherits its mask
  synchub::OutboundOptions options;
  std::string db;
  std::string log_level = "info";
  app.add_option("--db", db, "libpq connection string")->envname("SYNCHUB_DB");
  app.add_option("--listen", options.listen, "ROUTER endpoint for connectors")
      ->envname("SYNCHUB_OUTBOUND_LISTEN")
      ->capture_default_str();
  app.add_option("--metrics-listen", options.metrics_listen,
                 "HOST:PORT to serve Prometheus metrics at /metrics (off when empty)")
      ->envname("SYNCHUB_OUTBOUND_METRICS");
  app.add_option("--log-level", log_level, "trace|debug|info|warn|error")
      ->envname("SYNCHUB_LOG_LEVEL")
      ->capture_default_str();
  app.add_option("--curve-secret-key", options.curve_secret_key_file,
                 "outbound's CURVE secret key file (synchub-keygen; docs/security.md)")
      ->envname("SYNCHUB_CURVE_SECRET_KEY");
  app.add_flag("--insecure", options.insecure,
               "no CURVE: any ZeroMQ peer may subscribe as any source (tests only)");
  CLI11_PARSE(app, argc, argv);
  if (options.insecure) {
    spdlog::warn(
        "INSECURE: --insecure is set: any ZeroMQ peer may read and acknowledge any "
        "source's stream. Never run this way on a network others can reach.");
  }
  synchub::ConfigureServiceLogging("outbound", log_level);
  options.conninfo = synchub::PgConninfoFrom(db);
  auto server = synchub::OutboundServer::Start(options);
  if (!server.ok()) {
    spdlog::critical("cannot start: {}", server.status().message());
    return server.status().code() == synchub::StatusCode::kFailedPrecondition ? 3 : 2;
  }
  // Declared after `server`: destroyed first, so no stop can reach a server being destroyed.
  auto stop_subscription = stop_signals.OnStop([server = server->get()] { server->Stop(); });
  if (!(*server)->metrics_url().empty()) spdlog::info("metrics at {}", (*server)->metrics_url());
  std::printf("READY %s %s\n", (*server)->endpoint().c_str(), (*server)->metrics_url().c_str());
  std::fflush(stdout);
  (*server)->Run();
  spdlog::info("stopped");
  return 0;
}
