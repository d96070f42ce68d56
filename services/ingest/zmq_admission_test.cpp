#include "ingest/zmq_admission.hpp"

#include <gtest/gtest.h>

namespace synchub {
namespace {

Identity Crm() {
  Identity identity = ParseRole("source:CRM").value();
  identity.credential_id = 9;
  return identity;
}

v1::ResolverRequest Submit(const std::vector<std::string>& sources) {
  v1::ResolverRequest request;
  for (const std::string& source : sources) {
    v1::Event* event = request.mutable_submit()->add_events();
    event->set_source(source);
    event->set_credential_id(12345);  // forged: replaced
  }
  return request;
}

TEST(AdmitZmqRequest, ASourceSubmitsAsItselfAndIsStamped) {
  v1::ResolverRequest request = Submit({"CRM", "CRM"});
  EXPECT_FALSE(AdmitZmqRequest(Crm(), &request));
  for (const auto& event : request.submit().events()) EXPECT_EQ(event.credential_id(), 9);
}

TEST(AdmitZmqRequest, OneEventOfAnotherSourceRefusesTheWholeRequest) {
  v1::ResolverRequest request = Submit({"CRM", "ERP"});
  auto refused = AdmitZmqRequest(Crm(), &request);
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->key, "source");
  for (const char* role : {"operator", "reader", "service"}) {
    v1::ResolverRequest other = Submit({"CRM"});
    Identity identity = ParseRole(role).value();
    identity.credential_id = 3;
    EXPECT_TRUE(AdmitZmqRequest(identity, &other)) << role;
  }
}

TEST(AdmitZmqRequest, ReportsPingsAndOperatorWrites) {
  v1::ResolverRequest report;
  report.mutable_report()->set_event_json(R"({"source":"CRM","externalId":"A"})");
  EXPECT_FALSE(AdmitZmqRequest(Crm(), &report));
  report.mutable_report()->set_event_json(R"({"source":"ERP","externalId":"A"})");
  EXPECT_TRUE(AdmitZmqRequest(Crm(), &report));
  report.mutable_report()->set_event_json("not json");
  EXPECT_TRUE(AdmitZmqRequest(Crm(), &report));
  v1::ResolverRequest ping;
  ping.mutable_ping()->set_request_id(1);
  EXPECT_FALSE(AdmitZmqRequest(Crm(), &ping));
  v1::ResolverRequest write;
  write.mutable_operator_write()->set_request_id(1);
  EXPECT_TRUE(AdmitZmqRequest(Crm(), &write));
  EXPECT_FALSE(AdmitZmqRequest(InsecureIdentity(), &write));
  v1::ResolverRequest empty;
  EXPECT_TRUE(AdmitZmqRequest(Crm(), &empty));
}

TEST(AdmitZmqRequest, InsecureClearsForgedCredentialIds) {
  v1::ResolverRequest request = Submit({"ERP"});
  EXPECT_FALSE(AdmitZmqRequest(InsecureIdentity(), &request));
  EXPECT_EQ(request.submit().events(0).credential_id(), 0);
}

}  // namespace
}  // namespace synchub
