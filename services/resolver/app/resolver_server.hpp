// ResolverServer: the synchub-resolver process. A ROUTER socket takes requests from any
// number of DEALER clients (ingest, connectors, syncload); the socket thread splits each
// request by record key over worker threads (RequestRouter: a record belongs to one worker),
// each with its own PostgreSQL connection, that resolve micro-batches and answer after
// commit; the socket thread assembles the parts into one reply per request. A scheduler thread
// re-runs due deferred events, woken by NOTIFY synchub_deferred. Dead letters are published on a
// dedicated PUB socket. See proto/README.md for the frames and docs/resolver.md for the design.
//
// Thread safety: construct and Run() from one thread; Stop() from any thread.
#pragma once

#include <atomic>
#include <chrono>
#include <memory>
#include <pqxx/pqxx>
#include <string>
#include <thread>
#include <vector>
#include <zmq.hpp>

#include "common/core/status.hpp"
#include "common/metrics/metrics_exposer.hpp"
#include "common/pg/catalog_cache.hpp"
#include "common/pg/credential_cache.hpp"
#include "common/zmq/zmq_auth.hpp"
#include "resolver/app/batch_resolver.hpp"
#include "resolver/app/dead_letter_publisher.hpp"
#include "resolver/app/resolver_metrics.hpp"
#include "resolver/pg/log_maintenance.hpp"
#include "synchub/v1/resolver.pb.h"

namespace synchub {

struct ResolverServerOptions {
  std::string conninfo;
  std::string listen_endpoint = "tcp://127.0.0.1:5560";
  std::string dead_letter_endpoint = "tcp://127.0.0.1:5561";
  int workers = 2;
  int max_batch_events = 256;  // events per transaction
  BatchResolverOptions resolver;
  std::chrono::milliseconds catalog_refresh{500};
  std::chrono::milliseconds deferred_poll{250};  // fallback when no NOTIFY arrives
  std::string metrics_listen;  // HOST:PORT for Prometheus /metrics; empty: not served
  // How long one statement may wait for a row lock (another transaction holding a record,
  // e.g. an operator's open psql session) and run at all, in ms (0: the server's setting).
  // Past them the batch is answered UNAVAILABLE, nothing written, well within the gateway's
  // 5 s resolver timeout: a submitter never gets 503 for an event applied later.
  int lock_timeout_ms = 2000;
  int statement_timeout_ms = 4000;
  // How long an idempotency key (source, event id) and its content digest are kept (SPEC
  // section 4): a resend within it is answered as a duplicate, a reuse with other content is
  // refused. Older keys are forgotten by the deferred scheduler's thread, hourly.
  std::chrono::hours idempotency_window{24 * 7};
  // The resolution log's partitions and retention (docs/design.md, "Log retention"): a
  // maintenance thread keeps a whole partition ahead of the log's sequence (checked every
  // second) and applies the retention policy every `retention_every` (0: never; run
  // synchub-maintain on a schedule instead).
  LogMaintenanceOptions log_maintenance;
  std::chrono::seconds retention_every{60};
  // ZeroMQ security (docs/security.md): the server key pair of both sockets (CURVE; the
  // resolver socket admits service credentials only, the dead-letter feed readers, operators
  // and services), unless `insecure`. Neither set: Start fails (kFailedPrecondition).
  std::string curve_secret_key_file;
  bool insecure = false;
};

class ResolverServer {
 public:
  // Connects to PostgreSQL, checks the schema is migrated, loads the catalog, binds the
  // sockets and starts the threads. Returns kUnavailable (database unreachable),
  // kFailedPrecondition (schema not migrated) or kInvalidArgument (an endpoint cannot be bound).
  static StatusOr<std::unique_ptr<ResolverServer>> Start(ResolverServerOptions options);
  ~ResolverServer();

  // Endpoints as bound (a wildcard port resolved).
  std::string endpoint() const;
  std::string dead_letter_endpoint() const { return publisher_->endpoint(); }
  // "http://HOST:PORT/metrics" (ResolverMetrics), or "" when --metrics-listen is not set.
  std::string metrics_url() const { return exposer_ ? exposer_->url() : std::string(); }

  // Forwards requests and replies until Stop(). Then stops and joins the threads.
  void Run();
  void Stop() { stopping_ = true; }

 private:
  explicit ResolverServer(ResolverServerOptions options);
  void WorkerLoop(int index);
  v1::DeadLetterReceipt StoreReport(const v1::DeadLetterReport& report);
  // Makes an operator's write (PgOperatorWrites) on the socket thread: rare, one short
  // transaction each, so that requests to the one writer need no worker protocol of their own.
  v1::OperatorWriteReply WriteAsOperator(const v1::OperatorWrite& write);
  // The socket thread's connection, opened when missing or closed; nullptr (and `error` set)
  // when the database cannot be reached.
  pqxx::connection* SocketThreadConnection(Status* error);
  // A new connection with the session timeouts of the options.
  StatusOr<std::unique_ptr<pqxx::connection>> OpenConnection() const;
  void DeferredLoop();
  // Creates the log's partitions ahead and applies its retention (PgLogMaintenance).
  void MaintenanceLoop();
  // Forgets idempotency keys older than options_.idempotency_window, in chunks.
  void PruneIdempotencyKeys(pqxx::connection& connection);

  ResolverServerOptions options_;
  zmq::context_t context_;
  std::unique_ptr<CredentialCache> credentials_;  // null when insecure
  ZmqServerSecuritySetup security_;
  zmq::socket_t frontend_;
  zmq::socket_t results_;                  // PULL: workers' answers
  std::vector<zmq::socket_t> to_workers_;  // PUSH: one per worker
  std::unique_ptr<CatalogCache> catalog_;
  std::unique_ptr<DeadLetterPublisher> publisher_;
  std::atomic<bool> stopping_{false};
  std::vector<std::thread> threads_;
  // The socket thread's connection: dead-letter reports and operator writes.
  std::unique_ptr<pqxx::connection> report_connection_;
  ResolverMetrics metrics_;
  std::unique_ptr<MetricsExposer> exposer_;
};

}  // namespace synchub
