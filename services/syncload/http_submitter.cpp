// Submitter over HTTP: POST /api/sync, one event per request, on a keep-alive connection.
#include <httplib.h>

#include <chrono>
#include <thread>

#include "common/core/event_parse.hpp"
#include "common/core/json.hpp"
#include "syncload/submitter.hpp"

namespace synchub {
namespace {

class HttpSubmitter final : public Submitter {
 public:
  HttpSubmitter(const std::string& base_url, const std::string& token) : client_(base_url) {
    if (!token.empty()) client_.set_bearer_token_auth(token);
    client_.set_keep_alive(true);
    client_.set_tcp_nodelay(true);  // one small request at a time: no Nagle delay
    client_.set_connection_timeout(std::chrono::seconds(5));
    client_.set_read_timeout(std::chrono::seconds(30));
  }

  std::vector<SubmitAnswer> Submit(const std::vector<Event>& batch) override {
    std::vector<SubmitAnswer> answers;
    answers.reserve(batch.size());
    for (const Event& event : batch) answers.push_back(SubmitOne(event));
    return answers;
  }

 private:
  SubmitAnswer SubmitOne(const Event& event) {
    SubmitAnswer answer;
    const std::string body = EventJsonText(event);
    const auto submitted = std::chrono::steady_clock::now();
    // A request without an answer (no connection, 5xx) is resent with the same event id, after
    // the gateway's Retry-After (1 s when it gives none); the hub answers a resend from its log.
    for (int attempt = 0; attempt < kAttempts; ++attempt) {
      auto response = client_.Post("/api/sync", body, "application/json");
      answer.latency_ms =
          std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - submitted)
              .count();
      if (!response || response->status >= 500) {
        answer.kind = response && response->status == 503 ? SubmitAnswer::Kind::kUnavailable
                                                          : SubmitAnswer::Kind::kUnanswered;
        if (attempt + 1 < kAttempts) std::this_thread::sleep_for(RetryAfter(response));
        continue;
      }
      answer.kind = SubmitAnswer::Kind::kRejected;  // any other 4xx: nothing was stored
      if (response->status == 422) {
        answer.kind = SubmitAnswer::Kind::kDeadLetter;
      } else if (response->status == 200 || response->status == 202 || response->status == 409) {
        // 409 without an outcome is a problem answer (not a MANUAL conflict): rejected.
        const Json reply = TryParseStoredJson(response->body);
        if (reply.is_object() && reply.contains("outcome") && reply["outcome"].is_string()) {
          answer.kind = SubmitAnswer::Kind::kDecided;
          answer.outcome = reply["outcome"].get<std::string>();
        }
      }
      return answer;
    }
    return answer;
  }

  static std::chrono::seconds RetryAfter(const httplib::Result& response) {
    if (response && response->has_header("Retry-After")) {
      const std::string value = response->get_header_value("Retry-After");
      if (!value.empty() && value.size() < 4 &&
          value.find_first_not_of("0123456789") == std::string::npos) {
        return std::chrono::seconds(std::stoi(value));
      }
    }
    return std::chrono::seconds(1);
  }

  static constexpr int kAttempts = 3;
  httplib::Client client_;
};

}  // namespace

std::unique_ptr<Submitter> MakeHttpSubmitter(const std::string& base_url,
                                             const std::string& token) {
  return std::make_unique<HttpSubmitter>(base_url, token);
}

}  // namespace synchub
