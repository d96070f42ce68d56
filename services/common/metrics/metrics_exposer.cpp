#include "common/metrics/metrics_exposer.hpp"

#include <exception>

namespace synchub {

StatusOr<std::unique_ptr<MetricsExposer>> MetricsExposer::Start(
    const std::string& listen, std::shared_ptr<prometheus::Registry> registry) {
  const auto colon = listen.rfind(':');
  if (colon == std::string::npos || colon == 0) {
    return Status::InvalidArgument("--metrics-listen", "invalid_address",
                                   "--metrics-listen: HOST:PORT is required, not " + listen);
  }
  std::unique_ptr<MetricsExposer> exposer(new MetricsExposer());
  try {
    exposer->exposer_ = std::make_unique<prometheus::Exposer>(listen, 2);
  } catch (const std::exception& error) {
    return Status::InvalidArgument("--metrics-listen", "cannot_bind",
                                   "--metrics-listen: cannot bind " + listen + ": " + error.what());
  }
  exposer->exposer_->RegisterCollectable(registry);
  const auto ports = exposer->exposer_->GetListeningPorts();
  const std::string port = ports.empty() ? listen.substr(colon + 1) : std::to_string(ports[0]);
  exposer->url_ = "http://" + listen.substr(0, colon) + ":" + port + "/metrics";
  return exposer;
}

}  // namespace synchub
