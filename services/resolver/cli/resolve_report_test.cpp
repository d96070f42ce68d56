#include "resolver/cli/resolve_report.hpp"

#include <gtest/gtest.h>

#include <sstream>

namespace synchub {
namespace {

ResolveRun RunText(const std::string& text) {
  std::istringstream in(text);
  return RunEventLines(in, Catalog::Demo());
}

TEST(RunEventLines, SkipsBlankAndCommentLinesAndRecordsRejections) {
  ResolveRun run = RunText(
      "# a comment\n"
      "\n"
      R"({"externalId":"A","source":"CRM","version":1,"x":1})"
      "\n"
      R"({"externalId":"A","source":"Nope","version":1})"
      "\n");
  ASSERT_EQ(run.rows.size(), 2u);
  EXPECT_EQ(run.rows[0].line, 3);
  EXPECT_EQ(run.rows[0].decision.outcome, Outcome::kNewRecord);
  EXPECT_EQ(run.rows[1].line, 4);
  EXPECT_EQ(run.rows[1].status.key(), "source");
  EXPECT_EQ(run.rejected, 1);
  EXPECT_EQ(run.hub.records().size(), 1u);  // the rejected line changed nothing
}

TEST(RunEventLines, MarksReleasedDeferredEvents) {
  ResolveRun run =
      RunText(R"({"entity":"order","externalId":"O","source":"CRM","version":1,"clientId":"C"})"
              "\n"
              R"({"externalId":"C","source":"CRM","version":1})"
              "\n");
  ASSERT_EQ(run.rows.size(), 3u);
  EXPECT_EQ(run.rows[0].decision.outcome, Outcome::kDeferred);
  EXPECT_FALSE(run.rows[1].released);
  EXPECT_TRUE(run.rows[2].released);
  EXPECT_EQ(run.rows[2].decision.outcome, Outcome::kNewRecord);
}

TEST(PrintTables, ShowsOutcomesRecordsAndTheSummary) {
  ResolveRun run = RunText(R"({"externalId":"CUST-001","source":"ERP","version":1,"fullName":"A"})"
                           "\n"
                           R"({"externalId":"CUST-001","source":"CRM","version":1,"fullName":"B"})"
                           "\n");
  std::ostringstream out;
  PrintTables(run, out);
  const std::string text = out.str();
  EXPECT_NE(text.find("PRIORITY_WIN"), std::string::npos) << text;
  EXPECT_NE(text.find("{\"fullName\":\"B\"}"), std::string::npos) << text;
  EXPECT_NE(text.find("ERP v1, CRM v1"), std::string::npos) << text;
}

TEST(PrintJsonLines, EmitsOneObjectPerEventThenPerRecord) {
  ResolveRun run = RunText(R"({"externalId":"A","source":"CRM","version":1})"
                           "\n"
                           R"({"externalId":"A","source":"CRM","version":"x"})"
                           "\n");
  std::ostringstream out;
  PrintJsonLines(run, out);
  std::istringstream lines(out.str());
  std::string line;
  std::vector<Json> parsed;
  while (std::getline(lines, line)) parsed.push_back(Json::parse(line));
  ASSERT_EQ(parsed.size(), 3u);
  EXPECT_EQ(parsed[0]["outcome"], "NEW_RECORD");
  EXPECT_EQ(parsed[1]["error"]["key"], "version");
  EXPECT_EQ(parsed[2]["record"]["externalId"], "A");
}

}  // namespace
}  // namespace synchub
