#include "common/pg/testing/test_database.hpp"

#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <random>

#include "common/pg/migrations.hpp"

namespace synchub::testing {
namespace {

std::string UniqueName() {
  static std::atomic<int> counter{0};
  std::random_device random;
  return "synchub_test_" + std::to_string(::getpid()) + "_" + std::to_string(counter++) + "_" +
         std::to_string(random() % 1000000);
}

}  // namespace

std::string TestPgConninfo() {
  const char* conninfo = std::getenv("SYNCHUB_TEST_PG");
  if (conninfo == nullptr || *conninfo == '\0') {
    std::fprintf(stderr,
                 "SYNCHUB_TEST_PG is not set: the pg tests need the throwaway PostgreSQL that "
                 "`./dev test` starts\n");
    std::abort();
  }
  return conninfo;
}

TestDatabase::TestDatabase(bool migrate) : admin_conninfo_(TestPgConninfo()), name_(UniqueName()) {
  {
    pqxx::connection admin(admin_conninfo_);
    pqxx::nontransaction tx(admin);
    tx.exec("CREATE DATABASE " + tx.quote_name(name_));
  }
  conninfo_ = admin_conninfo_ + " dbname=" + name_;
  if (migrate) {
    auto connection = Connect();
    auto report = ApplyMigrations(*connection, BundledMigrations());
    if (!report.ok()) {
      std::fprintf(stderr, "migrating %s failed: %s\n", name_.c_str(),
                   report.status().ToString().c_str());
      std::abort();
    }
  }
}

TestDatabase::~TestDatabase() {
  try {
    pqxx::connection admin(admin_conninfo_);
    pqxx::nontransaction tx(admin);
    tx.exec("DROP DATABASE IF EXISTS " + tx.quote_name(name_) + " WITH (FORCE)");
  } catch (const std::exception& error) {
    std::fprintf(stderr, "dropping %s failed: %s\n", name_.c_str(), error.what());
  }
}

std::unique_ptr<pqxx::connection> TestDatabase::Connect() const {
  return std::make_unique<pqxx::connection>(conninfo_);
}

void TestDatabase::Exec(const std::string& sql) const {
  auto connection = Connect();
  pqxx::work tx(*connection);
  tx.exec(sql);
  tx.commit();
}

std::string TestDatabase::Scalar(const std::string& sql) const {
  auto connection = Connect();
  pqxx::read_transaction tx(*connection);
  auto rows = tx.exec(sql);
  if (rows.empty() || rows[0][0].is_null()) return "NULL";
  return rows[0][0].as<std::string>();
}

}  // namespace synchub::testing
