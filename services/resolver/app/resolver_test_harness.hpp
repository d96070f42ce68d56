// Test support for the resolver's pg tests: a migrated database, real synchub-resolver
// processes on free loopback ports, and a ZeroMQ client.
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <sstream>
#include <string>
#include <vector>
#include <zmq.hpp>

#include "child_process.hpp"
#include "common/codec/proto_codec.hpp"
#include "common/core/event_parse.hpp"
#include "common/pg/testing/test_database.hpp"
#include "common/zmq/resolver_client.hpp"

namespace synchub::testing {

struct RunningResolver {
  std::unique_ptr<ChildProcess> process;
  std::string endpoint;
  std::string dead_letter_endpoint;
  std::string metrics_url;  // empty unless started with --metrics-listen
};

// Starts synchub-resolver on `db`, listening on `listen`, with `extra` flags; fails the test
// when it does not become ready within 20 s.
inline RunningResolver StartResolver(const TestDatabase& db, std::vector<std::string> extra = {},
                                     const std::string& listen = "tcp://127.0.0.1:*") {
  std::vector<std::string> argv = {
      SYNCHUB_RESOLVER_BIN, "--db",        db.conninfo(), "--listen",  listen, "--dead-letters",
      "tcp://127.0.0.1:*",  "--log-level", "warn",        "--insecure"};
  argv.insert(argv.end(), extra.begin(), extra.end());
  RunningResolver running;
  running.process = std::make_unique<ChildProcess>(argv);
  auto ready = running.process->WaitForLine("READY", std::chrono::seconds(20));
  EXPECT_TRUE(ready.has_value()) << "synchub-resolver did not become ready";
  if (ready) {
    std::istringstream words(*ready);
    std::string word;
    words >> word >> running.endpoint >> running.dead_letter_endpoint >> running.metrics_url;
  }
  return running;
}

// The wire event of a JSON body (either form), validated against the demo catalog.
inline v1::Event WireEvent(const std::string& json, const std::string& event_id = "") {
  auto event = ParseEvent(json, Catalog::Demo());
  EXPECT_TRUE(event.ok()) << event.status().ToString();
  v1::Event wire = EventToProto(event.ok() ? *event : Event{});
  if (!event_id.empty()) wire.set_event_id(event_id);
  return wire;
}

inline std::unique_ptr<ResolverClient> ClientFor(
    zmq::context_t& context, std::vector<std::string> endpoints,
    std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
  return std::make_unique<ResolverClient>(context,
                                          ResolverClientOptions{std::move(endpoints), timeout, 3});
}

}  // namespace synchub::testing
