// Two-way sync end to end: resolver, ingest, outbound and four connectors, each connector
// with its own local database (SPEC section 5).
#include <atomic>
#include <fstream>
#include <random>
#include <thread>

#include "two_way_fixture.hpp"

namespace synchub {
namespace {

TEST_F(TwoWayE2e, ALocalDbInsertReachesTheOtherThreeSourcesWithoutEcho) {
  Local("LocalDB",
        "INSERT INTO local_records (external_id, full_name, email) "
        "VALUES ('CUST-100', 'Frank Local', 'frank@local.example')");
  const auto took = WaitEverywhere(
      "SELECT full_name || '|' || email || '|' || version FROM local_records "
      "WHERE external_id = 'CUST-100'",
      "Frank Local|frank@local.example|1", "LocalDB", std::chrono::seconds(5));
  std::printf("[ measure ] LocalDB insert visible in CRM, ERP and Portal after %lld ms\n",
              static_cast<long long>(took.count()));
  EXPECT_LT(took.count(), 2000);
  ASSERT_TRUE(WaitQuiescent());
  // No echo: the hub saw one submission, and no other source captured the inbound write.
  EXPECT_EQ(HubScalar("SELECT count(*) FROM resolution_log WHERE external_id = 'CUST-100'"), "1");
  for (const auto& source : {"CRM", "ERP", "Portal"}) {
    EXPECT_EQ(LocalScalar(source, "SELECT count(*) FROM synchub_outbox"), "0") << source;
  }
  EXPECT_EQ(LocalScalar("LocalDB", "SELECT count(*) FROM synchub_outbox WHERE sent_at IS NULL"),
            "0");

  // The outbound metrics: four live sessions; the change delivered to and acknowledged by the
  // three others at the change's log seq (not to LocalDB, its origin).
  const std::string seq =
      HubScalar("SELECT seq FROM resolution_log WHERE external_id = 'CUST-100'");
  const std::string body = OutboundMetricsPage();
  ASSERT_FALSE(body.empty());
  auto sample = [&](const std::string& name) -> std::string {
    const auto at = body.find("\n" + name + " ");
    if (at == std::string::npos) return "missing";
    const auto start = at + name.size() + 2;
    return body.substr(start, body.find('\n', start) - start);
  };
  EXPECT_EQ(sample("synchub_outbound_subscribers"), "4");
  for (const auto& source : {"CRM", "ERP", "Portal"}) {
    const std::string target = std::string("{target=\"") + source + "\"}";
    EXPECT_EQ(sample("synchub_outbound_acked_seq" + target), seq) << source;
    EXPECT_EQ(sample("synchub_outbound_changes_delivered_total" + target), "1") << source;
  }
  EXPECT_EQ(sample("synchub_outbound_changes_delivered_total{target=\"LocalDB\"}"), "missing");
}

TEST_F(TwoWayE2e, AnUpdateAndADeleteTravelAndAStoppedConnectorCatchesUp) {
  Local("CRM",
        "INSERT INTO local_records (external_id, full_name, email) "
        "VALUES ('CUST-200', 'Grace', 'grace@crm.example')");
  WaitEverywhere("SELECT full_name FROM local_records WHERE external_id = 'CUST-200'", "Grace",
                 "CRM", std::chrono::seconds(5));
  // Portal's connector is down for 10 seconds while the others keep changing things.
  connectors_["Portal"]->Stop(SIGKILL);
  const auto down_since = std::chrono::steady_clock::now();
  Local("ERP", "INSERT INTO local_records (external_id, full_name) VALUES ('CUST-201', 'Hal')");
  int updates = 0;
  while (std::chrono::steady_clock::now() - down_since < std::chrono::seconds(10)) {
    Local("CRM", "UPDATE local_records SET email = 'grace" + std::to_string(++updates) +
                     "@crm.example' WHERE external_id = 'CUST-200'");
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
  }
  Local("ERP", "DELETE FROM local_records WHERE external_id = 'CUST-201'");
  const std::string want =
      "grace" + std::to_string(updates) + "@crm.example|" + std::to_string(updates + 1);
  WaitEverywhere("SELECT email || '|' || version FROM local_records WHERE external_id = 'CUST-200'",
                 want, "Portal", std::chrono::seconds(5));
  EXPECT_EQ(LocalScalar("Portal", "SELECT email FROM local_records WHERE external_id = 'CUST-200'"),
            "grace@crm.example");  // Portal missed everything while its connector was down
  StartConnector("Portal");
  auto took = WaitEverywhere(
      "SELECT email || '|' || version || '|' || "
      "(SELECT count(*) FROM local_records WHERE external_id = 'CUST-201') "
      "FROM local_records WHERE external_id = 'CUST-200'",
      want + "|0", "", std::chrono::seconds(10));
  EXPECT_LT(took.count(), 10000);
  // Nothing missing, nothing submitted twice: the hub logged each CRM edit once.
  EXPECT_EQ(HubScalar("SELECT count(*) FROM resolution_log WHERE external_id = 'CUST-200'"),
            std::to_string(updates + 1));
  EXPECT_EQ(HubScalar("SELECT deleted::text FROM canonical_record WHERE external_id = 'CUST-201'"),
            "true");
}

// A backlog of large records (a fresh-eyes finding): 48 records of 400 KB (19 MB in all, more
// than the 16 MiB every synchub socket takes in one message) are pushed by CRM in one go and
// wait for a stopped connector. The pusher and outbound send them in messages of about 4 MiB;
// one message of all of them would be refused, and rebuilt and resent forever.
TEST_F(TwoWayE2e, ABacklogOfLargeRecordsReachesAConnectorThatWasDown) {
  connectors_["Portal"]->Stop(SIGKILL);
  Local("CRM",
        "INSERT INTO local_records (external_id, full_name) SELECT 'BIG-' || i, "
        "repeat(chr(65 + i % 26), 400000) FROM generate_series(1, 48) i");
  ASSERT_TRUE(testing::WaitUntil(
      [&] {
        return HubScalar("SELECT count(*) FROM canonical_record WHERE external_id LIKE 'BIG-%'") ==
               "48";
      },
      std::chrono::seconds(60)));
  StartConnector("Portal");
  EXPECT_TRUE(testing::WaitUntil(
      [&] {
        return LocalScalar("Portal",
                           "SELECT count(*) FROM local_records WHERE external_id LIKE 'BIG-%' "
                           "AND length(full_name) = 400000") == "48";
      },
      std::chrono::seconds(60)));
}

TEST_F(TwoWayE2e, APushTheHubKeepsRejectingIsParkedListedAndADeadLetter) {
  // The hub refuses an externalId over 256 bytes: every attempt fails the same way.
  const std::string key(300, 'k');
  Local("ERP", "INSERT INTO local_records (external_id, full_name) VALUES ('" + key + "', 'x')");
  ASSERT_TRUE(testing::WaitUntil(
      [&] { return LocalScalar("ERP", "SELECT count(*) FROM synchub_outbox WHERE parked") == "1"; },
      std::chrono::seconds(10)));
  EXPECT_EQ(LocalScalar("ERP", "SELECT retry_count FROM synchub_outbox WHERE parked"), "5");
  ChildProcess status({SYNCHUB_CONNECTOR_BIN, "--config", configs_["ERP"], "status"});
  auto line = status.WaitForLine("parked ", std::chrono::seconds(10));
  ASSERT_TRUE(line.has_value());
  EXPECT_NE(line->find("after 5 attempts"), std::string::npos);
  EXPECT_TRUE(testing::WaitUntil(
      [&] {
        return HubScalar(
                   "SELECT count(*) FROM dead_letter "
                   "WHERE reason = 'CONNECTOR_PUSH_FAILED'") == "1";
      },
      std::chrono::seconds(10)));
  EXPECT_EQ(HubScalar("SELECT attempts FROM dead_letter WHERE reason = 'CONNECTOR_PUSH_FAILED'"),
            "5");
}

// Every source's rows as "key|full_name|email|version" lines, sorted; and the hub's
// canonical records in the same form (deleted records absent).
std::string Rows(const std::string& conninfo, const std::string& sql) {
  pqxx::connection connection(conninfo);
  pqxx::read_transaction tx(connection);
  std::string out;
  for (const auto& row : tx.exec(sql)) out += row[0].as<std::string>() + "\n";
  return out;
}

TEST_F(TwoWayE2e, FourSourcesEditingFiftyRecordsConvergeWithoutEcho) {
  for (int i = 0; i < 50; ++i) {
    Local("CRM", "INSERT INTO local_records (external_id, full_name, email) VALUES ('R" +
                     std::to_string(i) + "', 'n', 'e')");
  }
  WaitEverywhere("SELECT count(*) FROM local_records", "50", "", std::chrono::seconds(10));

  std::atomic<bool> stop{false};
  std::vector<std::thread> editors;
  for (std::size_t s = 0; s < kSources.size(); ++s) {
    editors.emplace_back([&, s] {
      pqxx::connection connection(local_[kSources[s]]);
      std::mt19937 random(static_cast<unsigned>(100 + s));
      while (!stop) {
        const std::string key = "R" + std::to_string(random() % 50);
        const std::string value = kSources[s] + std::to_string(random() % 1000);
        try {
          pqxx::work tx(connection);
          switch (random() % 10) {
            case 0:
              tx.exec_params("DELETE FROM local_records WHERE external_id = $1", key);
              break;
            case 1:
              tx.exec_params(
                  "INSERT INTO local_records (external_id, full_name, email) "
                  "VALUES ($1, $2, $2) ON CONFLICT (external_id) DO NOTHING",
                  key, value);
              break;
            default:
              tx.exec_params(random() % 2 ? "UPDATE local_records SET full_name = $2 "
                                            "WHERE external_id = $1"
                                          : "UPDATE local_records SET email = $2 "
                                            "WHERE external_id = $1",
                             key, value);
          }
          tx.commit();
        } catch (const std::exception&) {
          // A concurrent inbound apply held the row: skip this edit.
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(8));
      }
    });
  }
  std::this_thread::sleep_for(std::chrono::seconds(10));
  stop = true;
  for (auto& editor : editors) editor.join();

  ASSERT_TRUE(WaitQuiescent());
  // Resolve what needs a human: keep the canonical side, which fans out to every source.
  auto conflicts = testing::BodyOf(stack_->Http()->Get("/api/conflicts?status=open"));
  for (const auto& conflict : conflicts["conflicts"]) {
    auto resolved = stack_->Http()->Post(
        "/api/conflicts/" + std::to_string(conflict["id"].get<int>()) + "/resolve",
        R"({"take":"canonical"})", "application/json");
    ASSERT_TRUE(resolved);
    EXPECT_EQ(resolved->status, 200) << resolved->body;
  }
  ASSERT_TRUE(WaitQuiescent());

  const std::string canonical =
      Rows(stack_->db->conninfo(),
           "SELECT external_id || '|' || coalesce(fields->>'fullName', '') || '|' || "
           "coalesce(fields->>'email', '') || '|' || version FROM canonical_record "
           "WHERE entity = 'client' AND NOT deleted ORDER BY external_id");
  std::string mismatch;
  testing::WaitUntil(
      [&] {
        mismatch.clear();
        for (const auto& source : kSources) {
          const std::string local =
              Rows(local_[source],
                   "SELECT external_id || '|' || coalesce(full_name, '') || '|' || "
                   "coalesce(email, '') || '|' || version FROM local_records "
                   "ORDER BY external_id");
          if (local != canonical) mismatch += source + " ";
        }
        return mismatch.empty();
      },
      std::chrono::seconds(5), std::chrono::milliseconds(100));
  EXPECT_EQ(mismatch, "") << "sources differing from the canonical records";
  if (!mismatch.empty()) {
    const std::string local = Rows(local_["CRM"],
                                   "SELECT external_id || '|' || coalesce(full_name, '') || '|' || "
                                   "coalesce(email, '') || '|' || version FROM local_records "
                                   "ORDER BY external_id");
    std::istringstream a(canonical), b(local);
    std::string la, lb;
    int shown = 0;
    while (shown < 8 &&
           (static_cast<bool>(std::getline(a, la)) | static_cast<bool>(std::getline(b, lb)))) {
      if (la != lb) {
        ADD_FAILURE() << "canonical " << la << " vs CRM " << lb;
        ++shown;
      }
    }
  }
  // No echo: every local edit was submitted exactly once, and nothing else was.
  for (const auto& source : kSources) {
    EXPECT_EQ(LocalScalar(source, "SELECT count(*) FROM synchub_outbox"),
              HubScalar("SELECT count(*) FROM resolution_log WHERE source = '" + source + "'"))
        << source;
  }
  std::printf("[ measure ] %s local edits converged, %s conflicts resolved\n",
              HubScalar("SELECT count(*) FROM resolution_log WHERE source <> 'operator'").c_str(),
              std::to_string(conflicts["conflicts"].size()).c_str());
}

TEST_F(TwoWayE2e, KillNineOfTheOutboundServiceAndOfAConnectorLosesAndDuplicatesNothing) {
  std::atomic<bool> stop{false};
  std::atomic<int> edits{0};
  // LocalDB keeps inserting while the outbound service and the CRM connector are killed.
  std::thread editor([&] {
    pqxx::connection connection(local_["LocalDB"]);
    for (int i = 0; !stop; ++i) {
      pqxx::work tx(connection);
      tx.exec("INSERT INTO local_records (external_id, full_name, email) VALUES ('K" +
              std::to_string(i) + "', 'n" + std::to_string(i) + "', 'e')");
      tx.commit();
      ++edits;
      std::this_thread::sleep_for(std::chrono::milliseconds(3));
    }
  });
  // Each fault lands while the load runs: after the editor made 50 more inserts.
  auto load_goes_on = [&] {
    const int mark = edits.load();
    ASSERT_TRUE(
        testing::WaitUntil([&] { return edits.load() >= mark + 50; }, std::chrono::seconds(20)));
  };
  load_goes_on();
  outbound_->Stop(SIGKILL);
  load_goes_on();
  outbound_ = std::make_unique<ChildProcess>(
      std::vector<std::string>{SYNCHUB_OUTBOUND_BIN, "--db", stack_->db->conninfo(), "--listen",
                               outbound_endpoint_, "--log-level", "warn", "--insecure"});
  ASSERT_TRUE(outbound_->WaitForLine("READY", std::chrono::seconds(20)).has_value());
  load_goes_on();
  connectors_["CRM"]->Stop(SIGKILL);
  load_goes_on();
  StartConnector("CRM");
  connectors_["LocalDB"]->Stop(SIGKILL);  // the pushing side too, mid-stream
  StartConnector("LocalDB");
  load_goes_on();
  stop = true;
  editor.join();
  const std::string want = std::to_string(edits.load());
  const auto took =
      WaitEverywhere("SELECT count(*) FROM local_records", want, "", std::chrono::seconds(20));
  EXPECT_LT(took.count(), 20000);
  for (const auto& source : kSources) {
    EXPECT_EQ(LocalScalar(source, "SELECT count(*) FROM local_records"), want) << source;
  }
  // Nothing submitted twice: one log row per local insert, each record at version 1.
  EXPECT_EQ(HubScalar("SELECT count(*) FROM resolution_log WHERE source = 'LocalDB'"), want);
  EXPECT_EQ(HubScalar("SELECT count(*) FROM canonical_record WHERE row_version <> 1"), "0");
  EXPECT_EQ(LocalScalar("CRM", "SELECT count(*) FROM synchub_outbox"), "0");
}

}  // namespace
}  // namespace synchub
