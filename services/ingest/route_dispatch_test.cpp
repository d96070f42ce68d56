// The route table as the gateway dispatches it (ingest_http.cpp's FindRoute: the first route of
// the method whose template the raw target matches): no target matches two routes of one
// method, so the table's order decides nothing.
#include <gtest/gtest.h>

#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "ingest/core/path_target.hpp"
#include "ingest/ingest_http.hpp"

namespace synchub {
namespace {

// `path_template` with every "{name}" replaced by `value`.
std::string Filled(std::string_view path_template, std::string_view value) {
  std::string target;
  for (std::size_t i = 0; i < path_template.size(); ++i) {
    if (path_template[i] == '{') {
      target += value;
      i = path_template.find('}', i);
    } else {
      target += path_template[i];
    }
  }
  return target;
}

TEST(RouteDispatch, EveryTargetOfARouteMatchesThatRouteOnlyAmongItsMethod) {
  const std::vector<RouteSpec>& routes = IngestHttpServer::Routes();
  // Parameter values that could be mistaken for a literal of another route, and encoded ones.
  std::set<std::string> values = {"x", "A%2Fhistory", "a%2F..%2Fb", "%2E%2E", "1"};
  for (const RouteSpec& route : routes) {
    const auto segments = SplitRawPath(route.path);
    ASSERT_TRUE(segments.has_value()) << route.path;
    for (std::string_view segment : *segments) {
      if (!segment.empty() && segment.front() != '{') values.emplace(segment);
    }
  }
  for (const RouteSpec& route : routes) {
    for (const std::string& value : values) {
      const std::string target = Filled(route.path, value);
      const auto segments = SplitRawPath(target);
      ASSERT_TRUE(segments.has_value()) << target;
      int matched = 0;
      bool itself = false;
      for (const RouteSpec& other : routes) {
        if (other.method != route.method || !MatchPathTemplate(other.path, *segments)) continue;
        ++matched;
        itself = itself || other.path == route.path;
      }
      EXPECT_TRUE(itself) << route.method << " " << target;
      EXPECT_EQ(matched, 1) << route.method << " " << target;
    }
  }
}

}  // namespace
}  // namespace synchub
