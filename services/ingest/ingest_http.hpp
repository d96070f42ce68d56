// IngestHttpServer: the HTTP API of SPEC section 8 (routes listed in docs/openapi.yaml and in
// Routes()), on cpp-httplib's thread pool. Each pool thread lazily opens its own PostgreSQL
// connection and resolver client. This is the cpp-httplib adapter only: a route table maps
// each method and path to its handler in routes/ (one per route, grouped by resource), which
// decides the answer.
//
// Bad input gets a 4xx problem document naming the offending key, never a 500: bodies over
// 1 MiB 413, a wrong content type 415, invalid JSON or rules of SPEC section 2 400.
// A submission the resolver could not make durable gets 503 with Retry-After; resending it
// with the same eventId has one effect.
//
// Thread safety: Start/Stop from one thread; handlers run on the pool.
#pragma once

#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <vector>
#include <zmq.hpp>

#include "common/auth/rate_limiter.hpp"
#include "common/core/status.hpp"
#include "common/pg/catalog_cache.hpp"
#include "common/zmq/curve.hpp"
#include "ingest/ingest_metrics.hpp"

namespace httplib {
class Server;
}

namespace synchub {

class CredentialCache;

struct IngestHttpOptions {
  std::string conninfo;
  std::vector<std::string> resolver_endpoints = {"tcp://127.0.0.1:5560"};
  std::string host = "127.0.0.1";
  int port = 8080;  // 0: any free port
  int threads = 16;
  std::chrono::milliseconds resolver_timeout{5000};
  int resolver_attempts = 2;
  std::size_t max_body_bytes = 1024 * 1024;
  std::chrono::seconds read_timeout{5};
  std::chrono::seconds write_timeout{5};
  int keep_alive_max_requests = 1000;
  // Who may call (docs/security.md): the credentials every request but /healthz must present
  // as "Authorization: Bearer <token>"; nullptr: every caller is trusted (--insecure).
  // Not owned; must outlive the server.
  const CredentialCache* credentials = nullptr;
  // /metrics answers without a token (--public-metrics), for a scraper on a trusted network.
  bool public_metrics = false;
  // Per credential (token bucket): 429 with Retry-After beyond it. per_second 0: no limit.
  RateLimit rate_limit{2000, 4000};
  // The gateway's CURVE keys for the resolvers (its service credential's key pair and the
  // resolvers' public key); nullopt: plain (the resolvers run --insecure).
  std::optional<CurveClientKeys> resolver_curve;
};

// One served route: method and the path as docs/openapi.yaml writes it.
struct RouteSpec {
  std::string method;
  std::string path;
};

class IngestHttpServer {
 public:
  IngestHttpServer(IngestHttpOptions options, CatalogCache& catalog, IngestMetrics& metrics,
                   zmq::context_t& context);
  ~IngestHttpServer();

  // Binds and starts serving on a background thread. Returns the bound port, or
  // kInvalidArgument when the address cannot be bound.
  StatusOr<int> Start();
  void Stop();

  // Every route served, as docs/openapi.yaml lists them.
  static const std::vector<RouteSpec>& Routes();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// docs/openapi.yaml, embedded at build time.
const char* OpenApiYaml();

}  // namespace synchub
