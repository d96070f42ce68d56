// Test support for end-to-end tests: a migrated database, a synchub-resolver and a
// synchub-ingest as real processes on free loopback ports.
//
// The services run with --insecure unless StartStack(/*authenticate=*/true): these tests are
// about resolution and the API's answers, and submit as every source from one client.
// Authentication and authorization have their own end-to-end tests (auth_e2e_test.cpp,
// zmq_auth_e2e_test.cpp), which start the stack as deployed: CURVE keys in a folder of the
// test's own (`keys`: resolver, ingest and the gateway's service key, registered as a
// credential), bearer tokens on HTTP. ./dev up, the demo, ./dev load and the shell e2e tests
// run with authentication on (docs/security.md).
#pragma once

#include <gtest/gtest.h>
#include <httplib.h>
#include <stdlib.h>

#include <filesystem>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "child_process.hpp"
#include "common/auth/token.hpp"
#include "common/core/json.hpp"
#include "common/pg/credential_store.hpp"
#include "common/pg/testing/test_database.hpp"
#include "common/zmq/curve.hpp"

namespace synchub::testing {

struct Stack {
  ~Stack() {
    if (!keys.empty()) std::filesystem::remove_all(keys);
  }
  std::unique_ptr<TestDatabase> db;
  std::unique_ptr<ChildProcess> resolver;
  std::unique_ptr<ChildProcess> ingest;
  std::string resolver_endpoint;
  std::string http_host = "127.0.0.1";
  int http_port = 0;
  std::string http_url;
  std::string zmq_endpoint;
  bool authenticate = false;  // start the services with authentication on
  std::string keys;           // authenticate: the folder of the CURVE key files

  std::unique_ptr<httplib::Client> Http() const {
    auto client = std::make_unique<httplib::Client>(http_host, http_port);
    client->set_read_timeout(15, 0);
    return client;
  }

  // Starts (or restarts) the gateway; `zmq_listen` may name a fixed endpoint.
  void StartIngest(const std::string& zmq_listen = "tcp://127.0.0.1:*", int port = 0) {
    std::vector<std::string> argv = {SYNCHUB_INGEST_BIN,
                                     "--db",
                                     db->conninfo(),
                                     "--port",
                                     std::to_string(port),
                                     "--resolver",
                                     resolver_endpoint,
                                     "--zmq-listen",
                                     zmq_listen,
                                     "--log-level",
                                     "warn",
                                     "--threads",
                                     "8"};
    if (authenticate) {
      for (const std::string& flag : {"--curve-secret-key=" + keys + "/ingest.key",
                                      "--curve-client-key=" + keys + "/gateway.key",
                                      "--resolver-server-key=" + keys + "/resolver.pub"}) {
        argv.push_back(flag);
      }
    } else {
      argv.emplace_back("--insecure");
    }
    ingest = std::make_unique<ChildProcess>(argv);
    auto ready = ingest->WaitForLine("READY", std::chrono::seconds(20));
    ASSERT_TRUE(ready.has_value()) << "synchub-ingest did not become ready";
    std::istringstream words(*ready);
    std::string word;
    words >> word >> http_url >> zmq_endpoint;
    http_port = std::stoi(http_url.substr(http_url.rfind(':') + 1));
  }
};

// authenticate: writes the key pairs resolver, ingest and gateway into a new folder and
// registers gateway.pub as a service credential.
inline void MakeStackKeys(Stack& stack) {
  char folder[] = "/tmp/synchub-keys-XXXXXX";
  ASSERT_NE(mkdtemp(folder), nullptr);
  stack.keys = folder;
  for (const char* name : {"resolver", "ingest", "gateway", "outbound"}) {
    ASSERT_TRUE(WriteCurveKeyPair(stack.keys + "/" + name, GenerateCurveKeyPair()).ok());
  }
  ASSERT_TRUE(InitCrypto());
  auto connection = stack.db->Connect();
  auto gateway = LoadCurvePublicKey(stack.keys + "/gateway.pub");
  ASSERT_TRUE(gateway.ok());
  ASSERT_TRUE(PgCredentialStore(*connection)
                  .Create(ParseRole("service").value(), "gateway", false, *gateway, 0)
                  .ok());
}

// `resolver_flags`: more flags for synchub-resolver.
inline std::unique_ptr<Stack> StartStack(bool authenticate = false,
                                         const std::vector<std::string>& resolver_flags = {}) {
  auto stack = std::make_unique<Stack>();
  stack->authenticate = authenticate;
  stack->db = std::make_unique<TestDatabase>();
  if (authenticate) MakeStackKeys(*stack);
  std::vector<std::string> argv{
      SYNCHUB_RESOLVER_BIN,
      "--db",
      stack->db->conninfo(),
      "--listen",
      "tcp://127.0.0.1:*",
      "--dead-letters",
      "tcp://127.0.0.1:*",
      "--log-level",
      "warn",
      authenticate ? "--curve-secret-key=" + stack->keys + "/resolver.key" : "--insecure"};
  argv.insert(argv.end(), resolver_flags.begin(), resolver_flags.end());
  stack->resolver = std::make_unique<ChildProcess>(argv);
  auto ready = stack->resolver->WaitForLine("READY", std::chrono::seconds(20));
  EXPECT_TRUE(ready.has_value()) << "synchub-resolver did not become ready";
  if (ready) {
    std::istringstream words(*ready);
    std::string word;
    words >> word >> stack->resolver_endpoint;
  }
  stack->StartIngest();
  return stack;
}

inline Json BodyOf(const httplib::Result& result) {
  if (!result || result->body.empty()) return Json();
  return TryParseStoredJson(result->body);
}

}  // namespace synchub::testing
