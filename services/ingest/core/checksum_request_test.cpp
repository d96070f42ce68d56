#include "ingest/core/checksum_request.hpp"

#include <gtest/gtest.h>

#include <string>

namespace synchub {
namespace {

Status Refusal(const std::string& body) {
  return ChecksumRequestFromJson(ParseStoredJson(body)).status();
}

// The reason and the key of the refusal of `body`, as "reason @ key".
std::string Refused(const std::string& body) {
  const Status status = Refusal(body);
  if (status.ok()) return "accepted";
  return status.reason() + " @ " + status.key();
}

std::string Many(const std::string& item, std::size_t count) {
  std::string array = "[";
  for (std::size_t i = 0; i < count; ++i) array += (i > 0 ? "," : "") + item;
  return array + "]";
}

TEST(ChecksumRequest, ReadsFieldsAndRangesInTheOrderSent) {
  auto request = ChecksumRequestFromJson(
      ParseStoredJson(R"({"fields":["fullName","email"],"ranges":[{"after":"","upTo":"CUST-500"},)"
                      R"({"after":"CUST-500","upTo":null}]})"));
  ASSERT_TRUE(request.ok()) << request.status().ToString();
  EXPECT_EQ(request->fields, (std::vector<std::string>{"fullName", "email"}));
  ASSERT_EQ(request->ranges.size(), 2u);
  EXPECT_EQ(request->ranges[0].after, "");
  EXPECT_EQ(request->ranges[0].up_to, "CUST-500");
  EXPECT_EQ(request->ranges[1].after, "CUST-500");
  EXPECT_EQ(request->ranges[1].up_to, std::nullopt);
  EXPECT_EQ(Refused(R"({"fields":["a"],"ranges":[]})"), "accepted");
}

TEST(ChecksumRequest, NamesTheOffendingFieldKey) {
  EXPECT_EQ(Refused(R"({"ranges":[]})"), "missing @ fields");
  EXPECT_EQ(Refused(R"({"fields":"email","ranges":[]})"), "wrong_type @ fields");
  EXPECT_EQ(Refused(R"({"fields":[],"ranges":[]})"), "empty @ fields");
  EXPECT_EQ(Refused(R"({"fields":["a","b",3],"ranges":[]})"), "wrong_type @ fields[2]");
  EXPECT_EQ(Refused(R"({"fields":["a","b","_deleted"],"ranges":[]})"),
            "reserved_field @ fields[2]");
  EXPECT_EQ(Refused(R"({"fields":["a","x'; DROP TABLE t; --"],"ranges":[]})"),
            "invalid_field_name @ fields[1]");
  EXPECT_EQ(Refused(R"({"fields":["1a"],"ranges":[]})"), "invalid_field_name @ fields[0]");
  EXPECT_EQ(Refused(R"({"fields":[")" + std::string(65, 'a') + R"("],"ranges":[]})"),
            "invalid_field_name @ fields[0]");
  EXPECT_EQ(Refused(R"({"fields":["a","b","a"],"ranges":[]})"), "duplicate_field @ fields[2]");
  std::string names = "[";
  for (int i = 0; i <= 256; ++i) names += (i > 0 ? ",\"f" : "\"f") + std::to_string(i) + "\"";
  names += "]";
  EXPECT_EQ(Refused(R"({"fields":)" + names + R"(,"ranges":[]})"), "too_many_fields @ fields");
}

TEST(ChecksumRequest, NamesTheOffendingRangeKey) {
  const std::string fields = R"({"fields":["a"],)";
  EXPECT_EQ(Refused(fields + R"("x":1})"), "unknown_key @ x");
  EXPECT_EQ(Refused(R"({"fields":["a"]})"), "missing @ ranges");
  EXPECT_EQ(Refused(fields + R"("ranges":{}})"), "wrong_type @ ranges");
  EXPECT_EQ(Refused(fields + R"("ranges":[{"after":"","upTo":null},"x"]})"),
            "wrong_type @ ranges[1]");
  EXPECT_EQ(Refused(fields + R"("ranges":[{"upTo":null}]})"), "missing @ ranges[0].after");
  EXPECT_EQ(Refused(fields + R"("ranges":[{"after":null,"upTo":null}]})"),
            "wrong_type @ ranges[0].after");
  EXPECT_EQ(Refused(fields + R"("ranges":[{"after":""}]})"), "missing @ ranges[0].upTo");
  EXPECT_EQ(Refused(fields + R"("ranges":[{"after":"","upTo":1.5}]})"),
            "wrong_type @ ranges[0].upTo");
  EXPECT_EQ(Refused(fields + R"("ranges":[{"after":"","upTo":null,"limit":3}]})"),
            "unknown_key @ ranges[0].limit");
  EXPECT_EQ(Refused(fields + R"("ranges":)" + Many(R"({"after":"","upTo":null})", 1000) + "}"),
            "accepted");
  EXPECT_EQ(Refused(fields + R"("ranges":)" + Many(R"({"after":"","upTo":null})", 1001) + "}"),
            "too_many_ranges @ ranges");
}

}  // namespace
}  // namespace synchub
