// PgCredentialStore and CredentialCache against a real PostgreSQL: a token works once made,
// its secret is stored only as a hash, and a revocation reaches the cache within a second.
#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "common/auth/token.hpp"
#include "common/pg/credential_cache.hpp"
#include "common/pg/credential_store.hpp"
#include "common/pg/testing/test_database.hpp"

namespace synchub {
namespace {

template <typename Condition>
bool WaitFor(Condition condition, std::chrono::milliseconds limit) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < deadline) {
    if (condition()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return condition();
}

TEST(CredentialStore, TokensAreShownOnceAndStoredAsHashes) {
  testing::TestDatabase db;
  auto connection = db.Connect();
  PgCredentialStore store(*connection);
  auto made = store.Create(ParseRole("source:CRM").value(), "CRM connector", true, "", 0);
  ASSERT_TRUE(made.ok()) << made.status().ToString();
  ASSERT_FALSE(made->token.empty());
  auto parsed = ParseToken(made->token);
  ASSERT_TRUE(parsed.has_value());
  EXPECT_EQ(parsed->credential_id, made->row.identity.credential_id);
  pqxx::read_transaction tx(*connection);
  const pqxx::row row =
      tx.exec1("SELECT encode(token_sha256, 'hex'), role, source FROM credential");
  EXPECT_EQ(row[0].as<std::string>().size(), 64u);
  EXPECT_EQ(row[0].as<std::string>().find(parsed->secret), std::string::npos);
  EXPECT_EQ(row[1].as<std::string>(), "source");
  EXPECT_EQ(row[2].as<std::string>(), "CRM");
}

TEST(CredentialStore, ACurveKeyBelongsToOneActiveCredential) {
  testing::TestDatabase db;
  auto connection = db.Connect();
  PgCredentialStore store(*connection);
  const std::string key(40, 'A');
  auto first = store.Create(ParseRole("source:CRM").value(), "", false, key, 0);
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  EXPECT_TRUE(first->token.empty());
  auto second = store.Create(ParseRole("source:ERP").value(), "", false, key, 0);
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.status().key(), "curvePublicKey");
  ASSERT_TRUE(store.Revoke(first->row.identity.credential_id).ok());
  EXPECT_TRUE(store.Create(ParseRole("source:ERP").value(), "", false, key, 0).ok());
  EXPECT_EQ(store.Revoke(9999).status().code(), StatusCode::kNotFound);
}

TEST(CredentialCache, FindsByTokenAndKeyAndForgetsRevokedWithinASecond) {
  testing::TestDatabase db;
  auto connection = db.Connect();
  PgCredentialStore store(*connection);
  const std::string key(40, 'B');
  auto made = store.Create(ParseRole("reader").value(), "dash", true, key, 0);
  ASSERT_TRUE(made.ok());
  EXPECT_FALSE(store.HasOperator().value());
  auto cache = CredentialCache::Start(db.conninfo(), std::chrono::milliseconds(250));
  ASSERT_TRUE(cache.ok()) << cache.status().ToString();
  const std::int64_t id = made->row.identity.credential_id;
  ASSERT_TRUE((*cache)->ByToken(made->token).has_value());
  EXPECT_EQ((*cache)->ByToken(made->token)->role, Role::kReader);
  EXPECT_EQ((*cache)->ByCurveKey(key)->credential_id, id);
  EXPECT_EQ((*cache)->ById(id)->name, "dash");
  // A token of the same id with another secret, and an unknown id, are refused.
  auto parsed = ParseToken(made->token).value();
  std::string other = parsed.secret;
  other[0] = other[0] == 'a' ? 'b' : 'a';
  EXPECT_FALSE((*cache)->ByToken(FormatToken(id, other)).has_value());
  EXPECT_FALSE((*cache)->ByToken(FormatToken(id + 1, parsed.secret)).has_value());

  // A credential made after start works once the cache reloads.
  auto later = store.Create(ParseRole("operator").value(), "", true, "", id);
  ASSERT_TRUE(later.ok());
  EXPECT_TRUE(store.HasOperator().value());
  EXPECT_TRUE(WaitFor([&] { return (*cache)->ByToken(later->token).has_value(); },
                      std::chrono::milliseconds(1000)));

  const auto revoked_at = std::chrono::steady_clock::now();
  ASSERT_TRUE(store.Revoke(id).ok());
  ASSERT_TRUE(WaitFor(
      [&] {
        return !(*cache)->ByToken(made->token) && !(*cache)->ByCurveKey(key) && !(*cache)->ById(id);
      },
      std::chrono::milliseconds(2000)));
  EXPECT_LT(std::chrono::steady_clock::now() - revoked_at, std::chrono::milliseconds(1000));
}

}  // namespace
}  // namespace synchub
