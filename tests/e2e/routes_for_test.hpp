// The routes the gateway serves, for the OpenAPI test (from IngestHttpServer::Routes()).
#pragma once

#include "ingest/ingest_http.hpp"

namespace synchub::testing {

inline const std::vector<RouteSpec>& ServedRoutes() { return IngestHttpServer::Routes(); }

}  // namespace synchub::testing
