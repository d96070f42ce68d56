// Submitter over HTTP: POST /api/sync, one event per request, on a keep-alive connection.
#include <httplib.h>

#include <chrono>

#include "common/core/event_parse.hpp"
#include "common/core/json.hpp"
#include "syncload/submitter.hpp"

namespace synchub {
namespace {

class HttpSubmitter final : public Submitter {
 public:
  explicit HttpSubmitter(const std::string& base_url) : client_(base_url) {
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
    // A request without an answer is resent with the same event id (answered from the log).
    for (int attempt = 0; attempt < 3; ++attempt) {
      const auto submitted = std::chrono::steady_clock::now();
      auto response = client_.Post("/api/sync", body, "application/json");
      answer.latency_ms =
          std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - submitted)
              .count();
      if (!response || response->status >= 500) continue;
      if (response->status == 422) {
        answer.kind = SubmitAnswer::Kind::kDeadLetter;
      } else if (response->status == 200 || response->status == 202 || response->status == 409) {
        const Json reply = Json::parse(response->body, nullptr, false);
        if (reply.is_object() && reply.contains("outcome") && reply["outcome"].is_string()) {
          answer.kind = SubmitAnswer::Kind::kDecided;
          answer.outcome = reply["outcome"].get<std::string>();
        }
      } else {
        answer.kind = SubmitAnswer::Kind::kRejected;
      }
      return answer;
    }
    return answer;
  }

  httplib::Client client_;
};

}  // namespace

std::unique_ptr<Submitter> MakeHttpSubmitter(const std::string& base_url) {
  return std::make_unique<HttpSubmitter>(base_url);
}

}  // namespace synchub
