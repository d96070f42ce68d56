#include "ingest/ingest_metrics.hpp"

#include <prometheus/text_serializer.h>

#include <sstream>

namespace synchub {

IngestMetrics::IngestMetrics()
    : registry_(std::make_shared<prometheus::Registry>()),
      requests_(prometheus::BuildCounter()
                    .Name("synchub_http_requests_total")
                    .Help("HTTP requests answered, by route pattern, method and status")
                    .Register(*registry_)),
      durations_(prometheus::BuildHistogram()
                     .Name("synchub_http_request_duration_seconds")
                     .Help("HTTP request latency, by route pattern")
                     .Register(*registry_)),
      in_flight_(prometheus::BuildGauge()
                     .Name("synchub_http_in_flight_requests")
                     .Help("HTTP requests being served")
                     .Register(*registry_)
                     .Add({})),
      outcomes_(prometheus::BuildCounter()
                    .Name("synchub_outcomes_total")
                    .Help("Resolutions answered through the gateway, by ladder outcome")
                    .Register(*registry_)),
      auth_failures_(prometheus::BuildCounter()
                         .Name("synchub_auth_failures_total")
                         .Help("Callers refused, by entrance (http, zmq) and reason (missing, "
                               "invalid, forbidden, rate_limited)")
                         .Register(*registry_)) {
  for (const char* entrance : {"http", "zmq"}) {
    for (const char* reason : {"missing", "invalid", "forbidden", "rate_limited"}) {
      auth_failures_.Add({{"entrance", entrance}, {"reason", reason}});
    }
  }
}

void IngestMetrics::RequestStarted() { in_flight_.Increment(); }

void IngestMetrics::RequestFinished(const std::string& route, const std::string& method, int status,
                                    double seconds) {
  in_flight_.Decrement();
  requests_.Add({{"route", route}, {"method", method}, {"status", std::to_string(status)}})
      .Increment();
  static const prometheus::Histogram::BucketBoundaries kBuckets = {
      0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5};
  durations_.Add({{"route", route}}, kBuckets).Observe(seconds);
}

void IngestMetrics::Outcome(const std::string& outcome) {
  outcomes_.Add({{"outcome", outcome}}).Increment();
}

void IngestMetrics::AuthFailure(const std::string& entrance, const std::string& reason) {
  auth_failures_.Add({{"entrance", entrance}, {"reason", reason}}).Increment();
}

std::string IngestMetrics::Serialize() const {
  std::ostringstream out;
  prometheus::TextSerializer().Serialize(out, registry_->Collect());
  return out.str();
}

}  // namespace synchub
