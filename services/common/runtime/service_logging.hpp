// One log format for every synchub service: ISO time, [service], level, message, on stderr.
#pragma once

#include <string>

namespace synchub {

// Sets spdlog's level from `level` ("trace" ... "error"; unknown names mean "off") and the
// pattern "<time> [<service>] <level> <message>".
void ConfigureServiceLogging(const std::string& service, const std::string& level);

}  // namespace synchub
