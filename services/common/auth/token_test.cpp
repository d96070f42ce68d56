#include "common/auth/token.hpp"

#include <gtest/gtest.h>

#include <set>
#include <vector>

namespace synchub {
namespace {

TEST(Token, RoundTripsAndHashesMatchOnlyTheSecret) {
  ASSERT_TRUE(InitCrypto());
  const std::string secret = NewTokenSecret();
  EXPECT_EQ(secret.size(), 43u);
  const std::string token = FormatToken(42, secret);
  auto parsed = ParseToken(token);
  ASSERT_TRUE(parsed.has_value());
  EXPECT_EQ(parsed->credential_id, 42);
  EXPECT_EQ(parsed->secret, secret);
  const std::string hash = SecretSha256(secret);
  EXPECT_EQ(hash.size(), 32u);
  EXPECT_TRUE(SecretMatches(hash, secret));
  std::string other = secret;
  other[10] = other[10] == 'A' ? 'B' : 'A';
  EXPECT_FALSE(SecretMatches(hash, other));
  EXPECT_FALSE(SecretMatches("", secret));
}

TEST(Token, SecretsDiffer) {
  ASSERT_TRUE(InitCrypto());
  std::set<std::string> seen;
  for (int i = 0; i < 100; ++i) seen.insert(NewTokenSecret());
  EXPECT_EQ(seen.size(), 100u);
}

TEST(Token, MalformedTokensAreRefused) {
  const std::string secret(43, 'a');
  EXPECT_TRUE(ParseToken("synchub_1_" + secret).has_value());
  const std::vector<std::string> malformed = {std::string(""),
                                              "synchub_",
                                              "synchub__" + secret,
                                              "synchub_0_" + secret,
                                              "synchub_x_" + secret,
                                              "synchub_1_" + secret + "a",
                                              "synchub_1_" + secret.substr(1),
                                              "other_1_" + secret,
                                              "synchub_1_" + std::string(42, 'a') + "=",
                                              "synchub_1234567890123456789_" + secret,
                                              "synchub_01_" + secret};
  for (const std::string& text : malformed) {
    EXPECT_FALSE(ParseToken(text).has_value()) << text;
  }
}

TEST(BearerToken, ReadsTheSchemeCaseInsensitively) {
  EXPECT_EQ(BearerToken("Bearer abc"), "abc");
  EXPECT_EQ(BearerToken("bearer  abc "), "abc");
  EXPECT_EQ(BearerToken("BEARER abc"), "abc");
  EXPECT_FALSE(BearerToken("Basic abc").has_value());
  EXPECT_FALSE(BearerToken("Bearer").has_value());
  EXPECT_FALSE(BearerToken("Bearer    ").has_value());
  EXPECT_FALSE(BearerToken("").has_value());
}

}  // namespace
}  // namespace synchub
