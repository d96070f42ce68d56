// The two-way stack for end-to-end tests: resolver, ingest, outbound and four connectors
// (CRM, ERP, Portal, LocalDB), each connector with its own local database made from the
// demo's local_source.sql (SPEC section 5).
#pragma once

#include <fstream>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "stack_harness.hpp"
#include "wait_until.hpp"

namespace synchub {

using testing::ChildProcess;
using testing::StartStack;

inline const std::vector<std::string> kSources = {"CRM", "ERP", "Portal", "LocalDB"};

class TwoWayE2e : public ::testing::Test {
 protected:
  // More flags for the stack's synchub-resolver.
  virtual std::vector<std::string> ResolverFlags() const { return {}; }

  void SetUp() override {
    stack_ = StartStack(/*authenticate=*/false, ResolverFlags());
    outbound_ = std::make_unique<ChildProcess>(std::vector<std::string>{
        SYNCHUB_OUTBOUND_BIN, "--db", stack_->db->conninfo(), "--listen", "tcp://127.0.0.1:*",
        "--log-level", "warn", "--metrics-listen", "127.0.0.1:0", "--insecure"});
    auto ready = outbound_->WaitForLine("READY", std::chrono::seconds(20));
    ASSERT_TRUE(ready.has_value());
    std::istringstream words(*ready);
    std::string word;
    words >> word >> outbound_endpoint_ >> outbound_metrics_url_;
    const std::string admin = testing::TestPgConninfo();
    for (const auto& source : kSources) {
      const std::string name = stack_->db->name() + "_" + source;
      {
        pqxx::connection connection(admin);
        pqxx::nontransaction tx(connection);
        tx.exec("CREATE DATABASE " + tx.quote_name(name));
      }
      local_[source] = admin + " dbname=" + name;
      databases_.push_back(name);
      {
        pqxx::connection connection(local_[source]);
        pqxx::work tx(connection);
        std::ifstream sql(SYNCHUB_SEED_DIR "/local_source.sql");
        std::stringstream text;
        text << sql.rdbuf();
        tx.exec(text.str());
        tx.commit();
      }
      const std::string path = "/tmp/" + name + ".json";
      std::ofstream config(path);
      config << Json{{"source", source},
                     {"push_backoff_ms", 20},
                     {"database", local_[source]},
                     {"submit", stack_->zmq_endpoint},
                     {"outbound", outbound_endpoint_},
                     {"entities",
                      {{{"entity", "client"},
                        {"table", "local_records"},
                        {"key", "external_id"},
                        {"version", "version"},
                        {"fields", {{"full_name", "fullName"}, {"email", "email"}}}},
                       {{"entity", "order"},
                        {"table", "local_orders"},
                        {"key", "external_id"},
                        {"version", "version"},
                        {"fields", {{"client_id", "clientId"}, {"amount", "amount"}}}}}}}
                    .dump(2);
      config.close();
      configs_[source] = path;
      ChildProcess setup({SYNCHUB_CONNECTOR_BIN, "--config", path, "setup"});
      ASSERT_EQ(setup.WaitExit(std::chrono::seconds(20)), 0) << source;
      StartConnector(source);
    }
  }

  void TearDown() override {
    connectors_.clear();
    outbound_.reset();
    stack_->ingest.reset();
    stack_->resolver.reset();
    pqxx::connection admin(testing::TestPgConninfo());
    pqxx::nontransaction tx(admin);
    for (const auto& name : databases_) {
      tx.exec("DROP DATABASE IF EXISTS " + tx.quote_name(name) + " WITH (FORCE)");
    }
  }

  void StartConnector(const std::string& source) {
    connectors_[source] = std::make_unique<ChildProcess>(std::vector<std::string>{
        SYNCHUB_CONNECTOR_BIN, "--config", configs_[source], "--log-level", "warn", "run"});
    ASSERT_TRUE(connectors_[source]->WaitForLine("READY", std::chrono::seconds(20)).has_value());
  }

  void Local(const std::string& source, const std::string& sql) {
    pqxx::connection connection(local_[source]);
    pqxx::work tx(connection);
    tx.exec(sql);
    tx.commit();
  }

  std::string LocalScalar(const std::string& source, const std::string& sql) {
    pqxx::connection connection(local_[source]);
    pqxx::read_transaction tx(connection);
    auto rows = tx.exec(sql);
    if (rows.empty() || rows[0][0].is_null()) return "NULL";
    return rows[0][0].as<std::string>();
  }

  // The text of synchub-outbound's /metrics page ("" when it does not answer).
  std::string OutboundMetricsPage() {
    const std::string host_port =
        outbound_metrics_url_.substr(7, outbound_metrics_url_.find('/', 7) - 7);
    httplib::Client http(host_port.substr(0, host_port.find(':')),
                         std::stoi(host_port.substr(host_port.find(':') + 1)));
    auto page = http.Get("/metrics");
    return page ? page->body : std::string();
  }

  std::string HubScalar(const std::string& sql) {
    auto connection = stack_->db->Connect();
    pqxx::read_transaction tx(*connection);
    auto row = tx.exec1(sql);
    return row[0].is_null() ? "NULL" : row[0].as<std::string>();
  }

  // True when everything that was written has travelled: no source has a local change the
  // hub has not answered (pending outbox rows) or a hub answer it has not applied (held
  // states), and every source acknowledged the current canonical state of every record
  // targeted at it (view source_lag). A negative assertion ("nothing else arrives") is only
  // meaningful after this.
  bool Quiescent() {
    for (const auto& source : kSources) {
      if (LocalScalar(source,
                      "SELECT count(*) FROM synchub_outbox WHERE sent_at IS NULL AND NOT parked") !=
          "0") {
        return false;
      }
      if (LocalScalar(source, "SELECT count(*) FROM synchub_held") != "0") return false;
    }
    return HubScalar("SELECT coalesce(sum(unacknowledged_records), 0) FROM source_lag") == "0";
  }
  bool WaitQuiescent(std::chrono::milliseconds limit = std::chrono::seconds(30)) {
    return testing::WaitUntil([&] { return Quiescent(); }, limit, std::chrono::milliseconds(20));
  }

  // Waits until `sql` gives `want` in every source but `except`; returns the time taken.
  std::chrono::milliseconds WaitEverywhere(const std::string& sql, const std::string& want,
                                           const std::string& except,
                                           std::chrono::milliseconds limit) {
    const auto started = std::chrono::steady_clock::now();
    testing::WaitUntil(
        [&] {
          for (const auto& source : kSources) {
            if (source != except && LocalScalar(source, sql) != want) return false;
          }
          return true;
        },
        limit, std::chrono::milliseconds(5));
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() -
                                                                 started);
  }

  std::unique_ptr<testing::Stack> stack_;
  std::unique_ptr<ChildProcess> outbound_;
  std::string outbound_endpoint_;
  std::string outbound_metrics_url_;  // http://127.0.0.1:PORT/metrics
  std::map<std::string, std::string> local_;
  std::map<std::string, std::string> configs_;
  std::map<std::string, std::unique_ptr<ChildProcess>> connectors_;
  std::vector<std::string> databases_;
};

}  // namespace synchub
