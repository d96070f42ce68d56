#include "connector/core/connector_config.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

namespace synchub {
namespace {

const char* kGood = R"({"source":"LocalDB","database":"dbname=x","submit":"tcp://a:1",
  "outbound":"tcp://a:2","entities":[{"entity":"client","table":"local_records",
  "key":"external_id","version":"version","fields":{"full_name":"fullName","email":"email"}}]})";

TEST(ParseConnectorConfig, ReadsTheMapping) {
  auto config = ParseConnectorConfig(kGood);
  ASSERT_TRUE(config.ok()) << config.status().ToString();
  EXPECT_EQ(config->source, "LocalDB");
  const EntityMapping* client = config->ForEntity("client");
  ASSERT_NE(client, nullptr);
  EXPECT_EQ(client->columns_to_fields.at("full_name"), "fullName");
  EXPECT_EQ(config->ForEntity("order"), nullptr);
}

TEST(ParseConnectorConfig, RejectsWhatCouldInjectSqlOrIsMissingNamingTheKey) {
  std::string bad_table = kGood;
  bad_table.replace(bad_table.find("local_records"), 13, "x; DROP TABLE");
  EXPECT_EQ(ParseConnectorConfig(bad_table).status().key(), "x; DROP TABLE");
  std::string no_source = kGood;
  no_source.erase(no_source.find("\"source\""), 19);
  EXPECT_EQ(ParseConnectorConfig(no_source).status().key(), "source");
  std::string typo = kGood;
  typo.replace(typo.find("\"source\""), 8, "\"sauce\"");
  EXPECT_EQ(ParseConnectorConfig(typo).status().key(), "sauce");
  std::string entity_typo = kGood;
  entity_typo.replace(entity_typo.find("\"table\""), 7, "\"tabel\"");
  EXPECT_EQ(ParseConnectorConfig(entity_typo).status().key(), "tabel");
  std::string bad_field = kGood;
  bad_field.replace(bad_field.find("\"fullName\""), 10, "\"_hidden\"");
  EXPECT_EQ(ParseConnectorConfig(bad_field).status().key(), "full_name");
  EXPECT_FALSE(ParseConnectorConfig("[]").ok());
}

TEST(ConnectorSql, NamesTheConfiguredTableAndColumns) {
  auto config = ParseConnectorConfig(kGood);
  ASSERT_TRUE(config.ok());
  const std::string setup = SetupSql(*config);
  EXPECT_NE(setup.find("current_setting('synchub.inbound', true) = 'on'"), std::string::npos);
  EXPECT_NE(setup.find("'fullName', NEW.full_name"), std::string::npos);
  EXPECT_NE(setup.find("AFTER INSERT OR UPDATE OR DELETE ON local_records"), std::string::npos);
  const std::string upsert = UpsertSql(*config->ForEntity("client"));
  EXPECT_NE(upsert.find("ON CONFLICT (external_id)"), std::string::npos);
  EXPECT_NE(upsert.find("full_name = EXCLUDED.full_name"), std::string::npos);
}

// The configurations deploy/compose.yaml mounts are accepted by the real parser.
TEST(ParseConnectorConfig, AcceptsTheComposeDemoConnectors) {
  for (const char* name : {"crm", "erp", "portal", "localdb"}) {
    std::ifstream file(std::string(SYNCHUB_DEPLOY_CONNECTORS_DIR) + "/" + name + ".json");
    ASSERT_TRUE(file) << name;
    std::stringstream text;
    text << file.rdbuf();
    auto config = ParseConnectorConfig(text.str());
    ASSERT_TRUE(config.ok()) << name << ": " << config.status().ToString();
    EXPECT_NE(config->ForEntity("client"), nullptr) << name;
    EXPECT_NE(config->ForEntity("order"), nullptr) << name;
  }
}

TEST(ColumnTypeWarning, NamesTypesThatCannotHoldEveryJsonNumber) {
  EXPECT_NE(ColumnTypeWarning("t", "ratio", "double precision").find("t.ratio"), std::string::npos);
  EXPECT_FALSE(ColumnTypeWarning("t", "ratio", "real").empty());
  EXPECT_FALSE(ColumnTypeWarning("t", "price", "numeric(12,2)").empty());
  EXPECT_TRUE(ColumnTypeWarning("t", "amount", "numeric").empty());
  EXPECT_TRUE(ColumnTypeWarning("t", "name", "text").empty());
  EXPECT_TRUE(ColumnTypeUnsupported("json"));
  EXPECT_FALSE(ColumnTypeUnsupported("jsonb"));
}

}  // namespace
}  // namespace synchub
