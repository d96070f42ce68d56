#include "connector/app/hub_reader.hpp"

#include <httplib.h>

#include "common/core/json.hpp"

namespace synchub {
namespace {

constexpr int kPageRecords = 1000;

// The parsed JSON body of a 200 answer, or the error the answer stands for.
StatusOr<Json> BodyOf(const httplib::Result& result, const std::string& what) {
  if (!result) {
    return Status::Unavailable("the hub did not answer " + what + " (" +
                               httplib::to_string(result.error()) +
                               " error: is \"api\" in the configuration the gateway's HTTP "
                               "address, and is the gateway running?)");
  }
  if (result->status >= 500) {
    return Status::Unavailable("the hub answered " + what + " with " +
                               std::to_string(result->status) + ": " + result->body);
  }
  if (result->status != 200) {
    return Status::InvalidArgument(
        "", "refused",
        "the hub refused " + what + " (" + std::to_string(result->status) + "): " + result->body);
  }
  Json body = TryParseStoredJson(result->body);
  if (!body.is_object()) return Status::Internal("the hub's answer to " + what + " is not JSON");
  return body;
}

}  // namespace

HubReader::HubReader(const std::string& api_url, const std::string& token)
    : client_(std::make_unique<httplib::Client>(api_url)) {
  if (!token.empty()) client_->set_bearer_token_auth(token);
  client_->set_connection_timeout(5, 0);
  client_->set_read_timeout(60, 0);
  client_->set_keep_alive(true);
}

HubReader::~HubReader() = default;

StatusOr<std::vector<connector::HubRow>> HubReader::Records(const std::string& entity,
                                                            const connector::KeyRange& range) {
  std::vector<connector::HubRow> rows;
  std::string after = range.after;
  while (true) {
    httplib::Params params{{"after", after}, {"limit", std::to_string(kPageRecords)}};
    auto body = BodyOf(client_->Get("/api/records/" + entity, params, httplib::Headers{}),
                       "a listing of " + entity);
    if (!body.ok()) return body.status();
    const Json records = body->value("records", Json::array());
    for (const auto& record : records) {
      connector::HubRow row;
      row.key = record.value("externalId", std::string());
      if (range.up_to && row.key > *range.up_to) return rows;
      row.version = record.value("version", std::int64_t{0});
      row.deleted = record.value("deleted", false);
      row.etag = record.value("etag", std::int64_t{0});
      row.record = record;
      rows.push_back(std::move(row));
    }
    auto next = body->find("next");
    if (next == body->end() || !next->is_string() || records.empty()) return rows;
    after = next->get<std::string>();
  }
}

StatusOr<std::vector<connector::RangeSum>> HubReader::Checksums(
    const std::string& entity, const std::vector<std::string>& fields,
    const std::vector<connector::KeyRange>& ranges) {
  Json request = {{"fields", Json::array()}, {"ranges", Json::array()}};
  for (const auto& field : fields) request["fields"].push_back(field);
  for (const auto& range : ranges) {
    request["ranges"].push_back(
        {{"after", range.after}, {"upTo", range.up_to ? Json(*range.up_to) : Json()}});
  }
  auto body =
      BodyOf(client_->Post("/api/checksums/" + entity, JsonText(request), "application/json"),
             "checksums of " + entity);
  if (!body.ok()) return body.status();
  const Json answered = body->value("ranges", Json::array());
  if (answered.size() != ranges.size()) {
    return Status::Internal("the hub answered " + std::to_string(answered.size()) +
                            " checksums for " + std::to_string(ranges.size()) + " ranges");
  }
  std::vector<connector::RangeSum> sums;
  for (const auto& range : answered) {
    connector::RangeSum sum;
    sum.rows = range.value("rows", std::int64_t{0});
    try {
      sum.checksum = std::stoll(range.value("checksum", std::string("0")));
    } catch (const std::exception&) {
      return Status::Internal("the hub answered a checksum that is not a number");
    }
    sums.push_back(sum);
  }
  return sums;
}

}  // namespace synchub
