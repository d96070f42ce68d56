#include "common/auth/identity.hpp"

#include <gtest/gtest.h>

namespace synchub {
namespace {

TEST(ParseRole, AcceptsEachRole) {
  EXPECT_EQ(ParseRole("operator")->role, Role::kOperator);
  EXPECT_EQ(ParseRole("reader")->role, Role::kReader);
  EXPECT_EQ(ParseRole("service")->role, Role::kService);
  auto source = ParseRole("source:CRM");
  ASSERT_TRUE(source.ok());
  EXPECT_EQ(source->role, Role::kSource);
  EXPECT_EQ(source->source, "CRM");
  EXPECT_EQ(RoleText(*source), "source:CRM");
}

TEST(ParseRole, RefusesOthersNamingRole) {
  for (const char* text : {"", "admin", "source", "source:", "source:operator", "source:a b",
                           "Operator", "source:CRM/ERP"}) {
    auto role = ParseRole(text);
    ASSERT_FALSE(role.ok()) << text;
    EXPECT_EQ(role.status().key(), "role") << text;
    EXPECT_EQ(role.status().reason(), "invalid_role") << text;
  }
  EXPECT_FALSE(ParseRole("source:" + std::string(65, 'a')).ok());
  EXPECT_TRUE(ParseRole("source:" + std::string(64, 'a')).ok());
}

TEST(Insecure, IsRecognisedOnlyForItsIdentity) {
  EXPECT_TRUE(IsInsecure(InsecureIdentity()));
  Identity service;
  service.role = Role::kService;
  service.credential_id = 3;
  EXPECT_FALSE(IsInsecure(service));
}

}  // namespace
}  // namespace synchub
