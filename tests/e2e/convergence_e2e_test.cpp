// Convergence on the whole stack (issue 11): once sources stop writing and conflicts are
// resolved, every source's copy equals the canonical record (SPEC section 5).
#include <signal.h>

#include <chrono>
#include <random>
#include <thread>

#include "common/core/exact_number.hpp"
#include "two_way_fixture.hpp"

namespace synchub {
namespace {

using testing::BodyOf;

class ConvergenceE2e : public TwoWayE2e {
 protected:
  // "fullName|email|version" of `key` in a source, or "NULL" when it has no such row.
  std::string Copy(const std::string& source, const std::string& key) {
    return LocalScalar(source,
                       "SELECT coalesce(full_name, '') || '|' || coalesce(email, '') || "
                       "'|' || version FROM local_records WHERE external_id = '" +
                           key + "'");
  }
  std::string Canonical(const std::string& key) {
    return HubScalar(
        "SELECT (SELECT CASE WHEN deleted THEN 'NULL' ELSE "
        "coalesce(fields->>'fullName', '') || '|' || coalesce(fields->>'email', '') "
        "|| '|' || version END FROM canonical_record WHERE external_id = '" +
        key + "')");
  }
  // Waits until every source holds the canonical copy of every key; returns the keys (with
  // each source's copy) that still differ after `limit`.
  std::string Diverged(const std::vector<std::string>& keys, std::chrono::seconds limit) {
    std::string diverged;
    testing::WaitUntil(
        [&] {
          diverged.clear();
          for (const auto& key : keys) {
            const std::string want = Canonical(key);
            for (const auto& source : kSources) {
              const std::string got = Copy(source, key);
              if (got != want) {
                diverged += key + " in " + source + ": " + got + ", hub " + want + "\n";
              }
            }
          }
          return diverged.empty();
        },
        limit, std::chrono::milliseconds(50));
    return diverged;
  }

  void ResolveOpenConflictsTakingCanonical() {
    auto open = stack_->Http()->Get("/api/conflicts?status=open");
    for (const auto& conflict : BodyOf(open)["conflicts"]) {
      const std::string id = std::to_string(conflict["id"].get<std::int64_t>());
      stack_->Http()->Post("/api/conflicts/" + id + "/resolve", R"({"take":"canonical"})",
                           "application/json");
    }
  }
};

// Input 1: a source's unsent edit is not overwritten by an older change from another source,
// and the source ends with what its edit resolved to.
TEST_F(ConvergenceE2e, AnUnsentLocalEditSurvivesAnOlderInboundChange) {
  Local("CRM",
        "INSERT INTO local_records (external_id, full_name, email) "
        "VALUES ('ANN', 'Ann', 'ann@old')");
  ASSERT_EQ(Diverged({"ANN"}, std::chrono::seconds(10)), "");
  ASSERT_EQ(kill(connectors_["ERP"]->pid(), SIGSTOP), 0);
  // ERP edits twice (versions 2 and 3) while its connector is stopped.
  Local("ERP", "UPDATE local_records SET email = 'ann@erp' WHERE external_id = 'ANN'");
  Local("ERP", "UPDATE local_records SET email = 'ann@erp2' WHERE external_id = 'ANN'");
  Local("Portal", "UPDATE local_records SET email = 'ann@portal' WHERE external_id = 'ANN'");
  // Portal's edit reaches the hub (and waits for ERP in the outbound stream).
  ASSERT_TRUE(testing::WaitUntil([&] { return Canonical("ANN") == "Ann|ann@portal|2"; },
                                 std::chrono::seconds(10)))
      << Canonical("ANN");
  // Divergence is visible: ERP has not acknowledged ANN's current state.
  auto lagging = BodyOf(stack_->Http()->Get("/api/sources/ERP"));
  EXPECT_EQ(lagging["unacknowledgedRecords"], 1) << lagging;
  EXPECT_GT(CompareNumberTexts(NumberText(lagging["oldestUnacknowledgedSeconds"]), "0"), 0);
  ASSERT_EQ(kill(connectors_["ERP"]->pid(), SIGCONT), 0);
  // ERP outranks Portal at version 2, and its version 3 follows: every source, ERP
  // included, ends with ERP's last edit.
  EXPECT_EQ(Diverged({"ANN"}, std::chrono::seconds(15)), "");
  EXPECT_EQ(Canonical("ANN"), "Ann|ann@erp2|3");
  for (const auto& source : BodyOf(stack_->Http()->Get("/api/sources"))["sources"]) {
    EXPECT_EQ(source["unacknowledgedRecords"], 0) << source;
  }
  // The same as metrics, from synchub-outbound.
  const std::string metrics = OutboundMetricsPage();
  ASSERT_FALSE(metrics.empty());
  EXPECT_NE(metrics.find("synchub_outbound_unacknowledged_records{target=\"ERP\"}"),
            std::string::npos);
  EXPECT_NE(metrics.find("synchub_outbound_oldest_unacknowledged_seconds{target=\"ERP\"}"),
            std::string::npos);
}

// Input 2: an apply that fails once is applied on the retry, never acknowledged past.
TEST_F(ConvergenceE2e, AnApplyThatFailsOnceIsRetriedNotSkipped) {
  // A trigger in Portal's database that raises the first time it sees this key (a sequence
  // counts the attempts: it is not rolled back with the failed apply).
  Local("Portal", R"(
    CREATE SEQUENCE fail_once_seq;
    CREATE FUNCTION fail_once() RETURNS trigger AS $f$
    BEGIN
      IF NEW.external_id = 'FLAKY' AND nextval('fail_once_seq') = 1 THEN
        RAISE EXCEPTION 'transient failure';
      END IF;
      RETURN NEW;
    END $f$ LANGUAGE plpgsql;
    CREATE TRIGGER fail_once BEFORE INSERT ON local_records
      FOR EACH ROW EXECUTE FUNCTION fail_once();)");
  Local("LocalDB", "INSERT INTO local_records (external_id, full_name) VALUES ('FLAKY', 'F')");
  Local("LocalDB", "INSERT INTO local_records (external_id, full_name) VALUES ('AFTER', 'A')");
  EXPECT_EQ(Diverged({"FLAKY", "AFTER"}, std::chrono::seconds(15)), "");
  EXPECT_EQ(LocalScalar("Portal", "SELECT last_value FROM fail_once_seq"), "2");
  EXPECT_EQ(LocalScalar("Portal", "SELECT count(*) FROM synchub_inbound_parked"), "0");
}

// Several rounds of concurrent updates of random columns on shared records from all four
// sources, some inside held-open transactions, with one connector stopped for a while; then
// every open conflict resolved: no record differs anywhere.
TEST_F(ConvergenceE2e, ConcurrentEditsFromFourSourcesConverge) {
  std::vector<std::string> keys;
  for (int i = 0; i < 20; ++i) keys.push_back("S" + std::to_string(i));
  for (const auto& key : keys) {
    Local("CRM", "INSERT INTO local_records (external_id, full_name, email) VALUES ('" + key +
                     "', 'n', 'e')");
  }
  ASSERT_EQ(Diverged(keys, std::chrono::seconds(20)), "");
  for (int round = 0; round < 3; ++round) {
    std::vector<std::thread> writers;
    if (round == 1) {
      // Portal's connector stops for 1.5 s while everyone writes. It may stop inside a
      // transaction and hold its locks meanwhile, so it resumes on a timer, not after the
      // writers (a writer of Portal's may wait for it).
      const pid_t portal = connectors_["Portal"]->pid();
      writers.emplace_back([portal] {
        kill(portal, SIGSTOP);
        std::this_thread::sleep_for(std::chrono::milliseconds(1500));
        kill(portal, SIGCONT);
      });
    }
    for (std::size_t s = 0; s < kSources.size(); ++s) {
      writers.emplace_back([&, s] {
        std::mt19937 rng(static_cast<unsigned>(round * 10 + s));
        pqxx::connection connection(local_[kSources[s]]);
        for (int n = 0; n < 15; ++n) {
          const std::string& key = keys[rng() % keys.size()];
          const std::string column = rng() % 2 ? "full_name" : "email";
          const std::string value =
              kSources[s] + "-" + std::to_string(round) + "-" + std::to_string(n);
          pqxx::work tx(connection);
          tx.exec("UPDATE local_records SET " + column + " = " + tx.quote(value) +
                  " WHERE external_id = " + tx.quote(key));
          // Some edits stay open for a while, as an application's transaction would.
          if (rng() % 5 == 0) std::this_thread::sleep_for(std::chrono::milliseconds(30));
          tx.commit();
        }
      });
    }
    for (auto& writer : writers) writer.join();
  }
  // Quiet: let every push and delivery settle, then resolve what needs a person.
  // Quiescence is waited for, not asserted: under a loaded machine a local edit may keep
  // racing an inbound apply for a while (a deadlock PostgreSQL resolves by aborting one); the
  // judge is the convergence check below.
  for (int pass = 0; pass < 3; ++pass) {
    if (!WaitQuiescent(std::chrono::seconds(30))) {
      std::printf("[ note ] not quiescent after 30 s in pass %d; resolving conflicts anyway\n",
                  pass);
    }
    ResolveOpenConflictsTakingCanonical();
  }
  EXPECT_EQ(Diverged(keys, std::chrono::seconds(30)), "");
  EXPECT_EQ(HubScalar("SELECT count(*) FROM conflict_log WHERE status = 'open'"), "0");
}

}  // namespace
}  // namespace synchub
