#include "ingest/routes/console_routes.hpp"

#include <string_view>
#include <utility>

namespace synchub {
namespace {

// The content type of a console file by its extension; "" for one the console does not serve.
std::string ContentTypeOf(std::string_view name) {
  const std::size_t dot = name.rfind('.');
  const std::string_view extension = dot == std::string_view::npos ? "" : name.substr(dot);
  if (extension == ".html") return "text/html; charset=utf-8";
  if (extension == ".css") return "text/css; charset=utf-8";
  if (extension == ".js") return "text/javascript; charset=utf-8";
  if (extension == ".svg") return "image/svg+xml";
  return "";
}

HttpAnswer WithSecurityHeaders(HttpAnswer answer) {
  answer.headers.emplace_back("Content-Security-Policy", kConsoleContentSecurityPolicy);
  answer.headers.emplace_back("X-Content-Type-Options", "nosniff");
  answer.headers.emplace_back("Referrer-Policy", "no-referrer");
  answer.headers.emplace_back("X-Frame-Options", "DENY");
  answer.headers.emplace_back("Cache-Control", "no-cache");
  return answer;
}

}  // namespace

HttpAnswer ConsoleAnswer(const std::string& path) {
  constexpr std::string_view kPrefix = "/console/";
  if (path == "/console") {
    HttpAnswer moved = JsonAnswer(Json(std::string("moved to /console/\n")));
    moved.status = 301;
    moved.content_type = "text/plain; charset=utf-8";
    moved.headers.emplace_back("Location", "/console/");
    return WithSecurityHeaders(std::move(moved));
  }
  if (path.rfind(kPrefix, 0) == 0) {
    std::string name = path.substr(kPrefix.size());
    if (name.empty()) name = "index.html";
    const std::string type = ContentTypeOf(name);
    for (const ConsoleFile& file : ConsoleFiles()) {
      if (type.empty() || name != file.name) continue;
      HttpAnswer answer = JsonAnswer(Json(std::string(file.text)));
      answer.content_type = type;
      return WithSecurityHeaders(std::move(answer));
    }
  }
  return WithSecurityHeaders(Problem(404, "not_found", "no such console file", "path"));
}

}  // namespace synchub
