// MetricsExposer: serves a Prometheus registry at http://<listen>/metrics (prometheus-cpp's
// pull exposer, its own threads).
//
// Thread safety: the registry's metrics may be updated from any thread while it serves.
#pragma once

#include <prometheus/exposer.h>
#include <prometheus/registry.h>

#include <memory>
#include <string>

#include "common/core/status.hpp"

namespace synchub {

class MetricsExposer {
 public:
  // Binds `listen` ("127.0.0.1:9464", "0.0.0.0:9464"; port 0 picks a free one) and serves
  // `registry`. Returns kInvalidArgument naming --metrics-listen when it cannot be bound.
  static StatusOr<std::unique_ptr<MetricsExposer>> Start(
      const std::string& listen, std::shared_ptr<prometheus::Registry> registry);

  // "http://<host>:<bound port>/metrics".
  const std::string& url() const { return url_; }

 private:
  MetricsExposer() = default;
  std::unique_ptr<prometheus::Exposer> exposer_;
  std::string url_;
};

}  // namespace synchub
