// TestDatabase: a fresh, migrated database on the throwaway PostgreSQL that `./dev test`
// starts (SYNCHUB_TEST_PG), dropped again when the object goes away. For *_pgtest.cpp only.
#pragma once

#include <memory>
#include <pqxx/pqxx>
#include <string>

namespace synchub::testing {

class TestDatabase {
 public:
  // Creates the database and, when `migrate`, applies BundledMigrations(). Aborts the test
  // binary with a message when SYNCHUB_TEST_PG is unset (run the tests with ./dev test).
  explicit TestDatabase(bool migrate = true);
  ~TestDatabase();
  TestDatabase(const TestDatabase&) = delete;
  TestDatabase& operator=(const TestDatabase&) = delete;

  // The libpq connection string of the new database.
  const std::string& conninfo() const { return conninfo_; }
  const std::string& name() const { return name_; }
  // A new connection to it.
  std::unique_ptr<pqxx::connection> Connect() const;
  // Runs `sql` (one or more statements) in a transaction of a new connection and commits it;
  // a failure throws (pqxx::sql_error), failing the test.
  void Exec(const std::string& sql) const;
  // The first column of the first row `sql` returns, as text; "NULL" when there is no row or
  // the value is NULL. Throws as Exec does.
  std::string Scalar(const std::string& sql) const;

 private:
  std::string admin_conninfo_;
  std::string name_;
  std::string conninfo_;
};

// The admin connection string from SYNCHUB_TEST_PG; aborts with a message when unset.
std::string TestPgConninfo();

}  // namespace synchub::testing
