// The operator's console (docs/operations.md, "Console"): static HTML, CSS and JavaScript built
// into the gateway (services/ingest/console/, embedded by cmake/EmbedConsole.cmake), served at
// /console/ without a token. The page signs in with a token the person pastes and calls the
// HTTP API with it; these files hold no data.
//
// Every answer carries a Content-Security-Policy that allows this origin only (no inline
// script or style, no other host, no framing) and X-Content-Type-Options: nosniff.
//
// Not part of docs/openapi.yaml (IngestHttpServer::Routes()): the console is a page, not API.
#pragma once

#include <string>
#include <vector>

#include "ingest/http_problem.hpp"

namespace synchub {

// One embedded file: its name in services/ingest/console/ and its text. Static storage.
struct ConsoleFile {
  const char* name;
  const char* text;
};

// Every file of services/ingest/console/, by name (generated at build time).
const std::vector<ConsoleFile>& ConsoleFiles();

// The Content-Security-Policy sent with every console answer.
inline constexpr const char* kConsoleContentSecurityPolicy =
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
    "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

// The answer for GET `path` under the console (pure):
//   "/console"              301 to /console/
//   "/console/"             index.html
//   "/console/<name>"       the file, with the content type of its extension
//   anything else           404 problem (key "path")
// Each with the security headers above and Cache-Control: no-cache.
HttpAnswer ConsoleAnswer(const std::string& path);

}  // namespace synchub
