// synchub-ingest: the HTTP API and the ZeroMQ entrance. See ingest_http.hpp, zmq_ingress.hpp.
#include <spdlog/spdlog.h>

#include <CLI/CLI.hpp>
#include <cstdio>

#include "common/pg/connection.hpp"
#include "common/pg/credential_cache.hpp"
#include "common/pg/migrations.hpp"
#include "common/runtime/service_logging.hpp"
#include "common/zmq/stop_signals.hpp"
#include "common/zmq/zmq_auth.hpp"
#include "ingest/ingest_http.hpp"
#include "ingest/zmq_ingress.hpp"

int main(int argc, char** argv) {
  CLI::App app{"synchub-ingest: the HTTP API and ZeroMQ entrance of synchub."};
  synchub::StopSignals stop_signals;  // first: every thread started later inherits its mask
  synchub::IngestHttpOptions options;
  std::string db;
  std::string zmq_listen = "tcp://127.0.0.1:5570";
  std::string log_level = "info";
  int resolver_timeout_ms = 5000;
  app.add_option("--db", db, "libpq connection string")->envname("SYNCHUB_DB");
  app.add_option("--host", options.host, "HTTP address")->capture_default_str();
  app.add_option("--port", options.port, "HTTP port (0: any free port)")
      ->envname("SYNCHUB_HTTP_PORT")
      ->check(CLI::Range(0, 65535))
      ->capture_default_str();
  app.add_option("--resolver", options.resolver_endpoints, "resolver endpoint(s)")
      ->envname("SYNCHUB_RESOLVERS")
      ->delimiter(',')
      ->capture_default_str();
  app.add_option("--zmq-listen", zmq_listen, "ZeroMQ ROUTER endpoint for batch submitters")
      ->envname("SYNCHUB_INGEST_ZMQ")
      ->capture_default_str();
  app.add_option("--threads", options.threads, "HTTP worker threads")
      ->check(CLI::Range(1, 256))
      ->capture_default_str();
  app.add_option("--resolver-timeout-ms", resolver_timeout_ms,
                 "how long a submission waits for the resolver per attempt")
      ->check(CLI::Range(10, 600000))
      ->capture_default_str();
  app.add_option("--log-level", log_level, "trace|debug|info|warn|error")
      ->envname("SYNCHUB_LOG_LEVEL")
      ->capture_default_str();
  bool insecure = false;
  app.add_flag("--insecure", insecure,
               "trust every caller: no bearer tokens, no CURVE (tests and local experiments "
               "only; docs/security.md)");
  app.add_flag("--public-metrics", options.public_metrics,
               "/metrics answers without a token (a scraper on a trusted network)");
  app.add_option("--rate-limit", options.rate_limit.per_second,
                 "requests a second per credential, on average (0: no limit); 429 beyond")
      ->check(CLI::Range(0.0, 1e9))
      ->capture_default_str();
  app.add_option("--rate-burst", options.rate_limit.burst,
                 "requests per credential at once before the rate limit applies")
      ->check(CLI::Range(1.0, 1e9))
      ->capture_default_str();
  std::string curve_secret_key;
  std::string curve_client_key;
  std::string resolver_server_key;
  app.add_option("--curve-secret-key", curve_secret_key,
                 "the ZeroMQ entrance's CURVE secret key file (synchub-keygen)")
      ->envname("SYNCHUB_CURVE_SECRET_KEY");
  app.add_option("--curve-client-key", curve_client_key,
                 "the gateway's own CURVE secret key file, registered as a service credential, "
                 "for talking to the resolvers");
  app.add_option("--resolver-server-key", resolver_server_key,
                 "the resolvers' CURVE public key file (.pub)");
  CLI11_PARSE(app, argc, argv);
  synchub::ConfigureServiceLogging("ingest", log_level);
  options.conninfo = synchub::PgConninfoFrom(db);
  options.resolver_timeout = std::chrono::milliseconds(resolver_timeout_ms);

  auto connection = synchub::ConnectPg(options.conninfo);
  if (!connection.ok()) {
    spdlog::critical("cannot start: {}", connection.status().message());
    return 2;
  }
  if (auto schema = synchub::CheckSchemaCurrent(**connection, synchub::BundledMigrations());
      !schema.ok()) {
    spdlog::critical("cannot start: {}", schema.message());
    return 3;
  }
  auto catalog = synchub::CatalogCache::Start(options.conninfo, std::chrono::milliseconds(500));
  if (!catalog.ok()) {
    spdlog::critical("cannot start: {}", catalog.status().message());
    return 2;
  }
  std::unique_ptr<synchub::CredentialCache> credentials;
  if (insecure) {
    spdlog::warn(
        "INSECURE: --insecure is set: every caller is trusted, as any source and as "
        "an operator. Never run this way on a network others can reach.");
  } else {
    auto loaded = synchub::CredentialCache::Start(options.conninfo, std::chrono::milliseconds(250));
    if (!loaded.ok()) {
      spdlog::critical("cannot start: credentials: {}", loaded.status().message());
      return 2;
    }
    credentials = std::move(loaded).value();
    options.credentials = credentials.get();
  }
  zmq::context_t context(1);
  auto security = synchub::StartZmqServerSecurity(
      context, curve_secret_key, insecure, credentials.get(),
      [](const std::string&, const synchub::Identity& identity) {
        // The entrance takes submissions: sources (and the hub's services); who submits as
        // which source is checked per request (zmq_admission.hpp).
        return identity.role == synchub::Role::kSource || identity.role == synchub::Role::kService;
      });
  if (!security.ok()) {
    spdlog::critical("cannot start: {}", security.status().message());
    return 3;
  }
  if (!insecure) {
    auto client = synchub::LoadCurveClientKeys(curve_client_key, resolver_server_key);
    if (!client.ok() || !client->has_value()) {
      spdlog::critical(
          "cannot start: the gateway talks CURVE to the resolvers: give "
          "--curve-client-key FILE and --resolver-server-key FILE.pub{}",
          client.ok() ? "" : " (" + client.status().message() + ")");
      return 3;
    }
    options.resolver_curve = **client;
  }
  synchub::IngestMetrics metrics;
  synchub::IngestHttpServer http(options, **catalog, metrics, context);
  auto port = http.Start();
  if (!port.ok()) {
    spdlog::critical("cannot start: {}", port.status().message());
    return 2;
  }
  synchub::ZmqIngress ingress(context, zmq_listen, options.resolver_endpoints, security->security,
                              options.resolver_curve, metrics);
  auto zmq_endpoint = ingress.Start();
  if (!zmq_endpoint.ok()) {
    spdlog::critical("cannot start: {}", zmq_endpoint.status().message());
    return 2;
  }
  spdlog::info("HTTP on http://{}:{}, ZeroMQ on {}, resolvers {}", options.host, *port,
               *zmq_endpoint, options.resolver_endpoints.front());
  std::printf("READY http://%s:%d %s\n", options.host.c_str(), *port, zmq_endpoint->c_str());
  std::fflush(stdout);
  stop_signals.WaitForStop();
  ingress.Stop();
  http.Stop();
  spdlog::info("stopped");
  return 0;
}
