// Opening PostgreSQL connections with errors as Status.
// Thread safety: every function may be called from any thread; a connection belongs to one.
#pragma once

#include <atomic>
#include <memory>
#include <pqxx/pqxx>
#include <string>

#include "common/core/retry_policy.hpp"
#include "common/core/status.hpp"

namespace synchub {

// Opens a connection with libpq connection string `conninfo` ("host=... port=... dbname=..."
// or a postgresql:// URI). Returns the connection, or kUnavailable naming the server's error.
StatusOr<std::unique_ptr<pqxx::connection>> ConnectPg(const std::string& conninfo);

// Opens a connection, retrying on `policy`'s schedule (logging each failure) until it works
// or `stop` becomes true. Returns the connection, or nullptr when stopped or out of attempts.
std::unique_ptr<pqxx::connection> ConnectPgWithRetry(const std::string& conninfo,
                                                     const std::atomic<bool>& stop,
                                                     const RetryPolicy& policy = ReconnectPolicy());

// False when an idle connection (no transaction open) is known to be dead: PostgreSQL, when it
// shuts down or terminates a backend, sends an error and closes the socket, so an idle
// connection whose socket is readable has been told something, and reading it
// (PQconsumeInput) fails when the server is gone. True otherwise (nothing said: assume alive).
// Costs one poll(2) with no wait. Use it before lending a pooled connection, so that a
// request does not fail on a connection that died while idle.
bool IdleConnectionAlive(pqxx::connection& connection);

// Session settings for short OLTP statements (SET on `connection`): jit = off (PostgreSQL
// JIT-compiles a statement whose estimated cost passes jit_above_cost, tens of milliseconds
// spent on statements that run in a few), and bounds on how long one statement may wait:
// lock_timeout (a row another transaction holds, e.g. an operator's open psql session) and
// statement_timeout, in milliseconds; 0 leaves the server's setting. Both timeouts are
// classified kUnavailable (pg_errors.hpp): nothing of the unit of work is written and the
// submitter resends. Returns kUnavailable when the connection is gone.
Status SetSessionSettings(pqxx::connection& connection, int lock_timeout_ms,
                          int statement_timeout_ms);

// The connection string services use: `flag_value` when not empty, else the environment
// variable SYNCHUB_DB, else "" (libpq's defaults).
std::string PgConninfoFrom(const std::string& flag_value);

}  // namespace synchub
