#include "ingest/syncctl/syncctl_pages.hpp"

#include <utility>

#include "common/core/json.hpp"

namespace synchub {

std::string RecordPagePath(const std::string& entity, const std::string& after, int limit) {
  std::string path =
      "/api/records/" + EncodePathSegment(entity) + "?limit=" + std::to_string(limit);
  if (!after.empty()) path += "&after=" + EncodePathSegment(after);
  return path;
}

SyncctlClient::Response FetchAllRecordPages(SyncctlClient& client, const std::string& entity,
                                            const std::string& after, int limit) {
  Json records = Json::array();
  std::string from = after;
  while (true) {
    SyncctlClient::Response page = client.Call("GET", RecordPagePath(entity, from, limit));
    if (page.status < 200 || page.status >= 300) return page;
    Json body = TryParseStoredJson(page.body);
    const bool shaped = body.is_object() && body.contains("records") &&
                        body["records"].is_array() && body.contains("next") &&
                        (body["next"].is_null() || body["next"].is_string());
    // Keys only grow (byte order): a "next" that does not is a server bug, not a reason to loop.
    if (!shaped || (body["next"].is_string() && body["next"].get<std::string>() <= from)) {
      page.status = 502;
      return page;
    }
    for (Json& record : body["records"]) records.push_back(std::move(record));
    if (body["next"].is_null()) break;
    from = body["next"].get<std::string>();
  }
  SyncctlClient::Response all;
  all.status = 200;
  all.body = JsonText(Json{{"records", std::move(records)}, {"next", nullptr}});
  return all;
}

}  // namespace synchub
