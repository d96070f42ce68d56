#include "common/runtime/service_logging.hpp"

#include <spdlog/spdlog.h>

namespace synchub {

void ConfigureServiceLogging(const std::string& service, const std::string& level) {
  spdlog::set_level(spdlog::level::from_str(level));
  spdlog::set_pattern("%Y-%m-%dT%H:%M:%S.%e [" + service + "] %l %v");
}

}  // namespace synchub
