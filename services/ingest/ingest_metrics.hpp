// IngestMetrics: the gateway's Prometheus metrics (prometheus-cpp), exposed at /metrics.
//   synchub_http_requests_total{route,method,status}   requests answered
//   synchub_http_request_duration_seconds{route}       latency histogram
//   synchub_http_in_flight_requests                     requests being served
//   synchub_outcomes_total{outcome}                     resolutions answered (POST /api/sync,
//                                                       replays), by ladder outcome
//   synchub_auth_failures_total{entrance,reason}      refused callers: entrance http|zmq,
//                                                       reason missing|invalid|forbidden|
//                                                       rate_limited
// Routes are the route patterns ("/api/records/{entity}/{externalId}"), so label values are
// bounded.
//
// Thread safety: every method may be called from any thread.
#pragma once

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include <memory>
#include <string>

namespace synchub {

class IngestMetrics {
 public:
  IngestMetrics();

  void RequestStarted();
  void RequestFinished(const std::string& route, const std::string& method, int status,
                       double seconds);
  void Outcome(const std::string& outcome);
  // A caller refused at `entrance` ("http" or "zmq") for `reason` (see above).
  void AuthFailure(const std::string& entrance, const std::string& reason);

  // The Prometheus text exposition format.
  std::string Serialize() const;

 private:
  std::shared_ptr<prometheus::Registry> registry_;
  prometheus::Family<prometheus::Counter>& requests_;
  prometheus::Family<prometheus::Histogram>& durations_;
  prometheus::Gauge& in_flight_;
  prometheus::Family<prometheus::Counter>& outcomes_;
  prometheus::Family<prometheus::Counter>& auth_failures_;
};

}  // namespace synchub
