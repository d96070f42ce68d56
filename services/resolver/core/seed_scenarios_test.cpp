// The seed's five scenarios and the CUST-004 replay (SPEC section 3), as one table.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "common/core/event_parse.hpp"
#include "resolver/core/memory_hub.hpp"

namespace synchub {
namespace {

struct Scenario {
  const char* key;
  std::vector<std::string> events;  // in submission order, the seed's flat form
  Outcome last_outcome;
  const char* last_source;
  FieldMap expected_fields;  // without _deleted
};

const std::vector<Scenario>& SeedScenarios() {
  static const std::vector<Scenario> scenarios = {
      {"CUST-001",
       {R"({"externalId":"CUST-001","source":"ERP","version":1,"fullName":"A"})",
        R"({"externalId":"CUST-001","source":"CRM","version":1,"fullName":"B"})"},
       Outcome::kPriorityWin,
       "CRM",
       {{"fullName", "B"}}},
      {"CUST-002",
       {R"({"externalId":"CUST-002","source":"CRM","version":2,"fullName":"Bob"})",
        R"({"externalId":"CUST-002","source":"Portal","version":1,"fullName":"Bobby"})"},
       Outcome::kStaleSkip,
       "CRM",
       {{"fullName", "Bob"}}},
      {"CUST-003",
       {R"({"externalId":"CUST-003","source":"CRM","version":1,"fullName":"Carol"})",
        R"({"externalId":"CUST-003","source":"ERP","version":1,"email":"carol@erp"})"},
       Outcome::kFieldMerge,
       "ERP",
       {{"fullName", "Carol"}, {"email", "carol@erp"}}},
      {"CUST-004",
       {R"({"externalId":"CUST-004","source":"CRM","version":5,"email":"a@crm"})",
        R"({"externalId":"CUST-004","source":"CRM","version":5,"email":"b@crm"})"},
       Outcome::kManual,
       "CRM",
       {{"email", "a@crm"}}},
      {"CUST-005",
       {R"({"externalId":"CUST-005","source":"CRM","version":1,"fullName":"Eve"})"},
       Outcome::kNewRecord,
       "CRM",
       {{"fullName", "Eve"}}},
      // The seed's replay of the MANUAL conflict after human review.
      {"CUST-004 replay",
       {R"({"externalId":"CUST-004","source":"CRM","version":5,"email":"a@crm"})",
        R"({"externalId":"CUST-004","source":"CRM","version":5,"email":"b@crm"})",
        R"({"externalId":"CUST-004","source":"CRM","version":6,"fullName":"David Brown",
            "email":"david.corrected@crm.com"})"},
       Outcome::kVersionWin,
       "CRM",
       {{"fullName", "David Brown"}, {"email", "david.corrected@crm.com"}}},
  };
  return scenarios;
}

class SeedScenarioTest : public testing::TestWithParam<Scenario> {};

TEST_P(SeedScenarioTest, GivesTheSpecsOutcomeAndLastSource) {
  const Scenario& scenario = GetParam();
  InMemoryHub hub(Catalog::Demo());
  Decision last;
  for (const auto& body : scenario.events) {
    auto event = ParseEvent(body, hub.catalog());
    ASSERT_TRUE(event.ok()) << event.status().ToString();
    auto resolutions = hub.Submit(*event);
    ASSERT_EQ(resolutions.size(), 1u);
    last = resolutions[0].decision;
  }
  EXPECT_EQ(OutcomeName(last.outcome), OutcomeName(scenario.last_outcome));
  std::string external_id = scenario.key;
  external_id = external_id.substr(0, 8);
  const CanonicalRecord* record = hub.Find("client", external_id);
  ASSERT_NE(record, nullptr);
  EXPECT_EQ(record->last_source, scenario.last_source);
  FieldMap fields = record->fields;
  fields.erase("_deleted");
  EXPECT_EQ(fields, scenario.expected_fields);
}

INSTANTIATE_TEST_SUITE_P(Spec, SeedScenarioTest, testing::ValuesIn(SeedScenarios()),
                         [](const testing::TestParamInfo<Scenario>& param_info) {
                           std::string name = param_info.param.key;
                           for (char& c : name) {
                             if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
                           }
                           return name;
                         });

}  // namespace
}  // namespace synchub
