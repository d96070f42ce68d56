#include "common/auth/access.hpp"

#include <gtest/gtest.h>

namespace synchub {
namespace {

Identity Of(const std::string& role) {
  Identity identity = ParseRole(role).value();
  identity.credential_id = 7;
  return identity;
}

// The table of access.hpp, row by row: every role against every action.
TEST(Access, EveryRoleAgainstEveryAction) {
  struct Row {
    Action action;
    bool op, reader, source, service;
  };
  const Row rows[] = {
      {Action::kReadRecords, true, true, true, true},
      {Action::kReadOperations, true, true, false, true},
      {Action::kOperate, true, false, false, false},
      {Action::kManageCredentials, true, false, false, false},
      {Action::kCallResolver, false, false, false, true},
      {Action::kReadDeadLetterFeed, true, true, false, true},
  };
  for (const Row& row : rows) {
    EXPECT_EQ(!Refuse(Of("operator"), row.action), row.op) << static_cast<int>(row.action);
    EXPECT_EQ(!Refuse(Of("reader"), row.action), row.reader) << static_cast<int>(row.action);
    EXPECT_EQ(!Refuse(Of("source:CRM"), row.action), row.source) << static_cast<int>(row.action);
    EXPECT_EQ(!Refuse(Of("service"), row.action), row.service) << static_cast<int>(row.action);
    EXPECT_FALSE(Refuse(InsecureIdentity(), row.action));
  }
}

TEST(Access, ASourceSubmitsAndSubscribesAsItselfOnly) {
  for (Action action : {Action::kSubmitAs, Action::kSubscribeAs}) {
    EXPECT_FALSE(Refuse(Of("source:CRM"), action, "CRM"));
    auto refused = Refuse(Of("source:CRM"), action, "ERP");
    ASSERT_TRUE(refused);
    EXPECT_EQ(refused->key, "source");
    EXPECT_NE(refused->message.find("ERP"), std::string::npos);
    for (const char* role : {"operator", "reader", "service"}) {
      auto other = Refuse(Of(role), action, "CRM");
      ASSERT_TRUE(other) << role;
      EXPECT_EQ(other->key, "source");
    }
  }
  EXPECT_TRUE(Refuse(Of("source:CRM"), Action::kSubmitAs, ""));
}

}  // namespace
}  // namespace synchub
