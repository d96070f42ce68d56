// Submitter over ZeroMQ: a ResolverClient, one request per batch.
#include <chrono>
#include <zmq.hpp>

#include "common/codec/proto_codec.hpp"
#include "common/zmq/resolver_client.hpp"
#include "syncload/submitter.hpp"

namespace synchub {
namespace {

class ZmqSubmitter final : public Submitter {
 public:
  ZmqSubmitter(const std::vector<std::string>& endpoints, std::optional<CurveClientKeys> curve)
      : context_(1),
        client_(context_, {endpoints, std::chrono::seconds(30), 3, nullptr, std::move(curve)}) {}

  std::vector<SubmitAnswer> Submit(const std::vector<Event>& batch) override {
    std::vector<v1::Event> wire;
    wire.reserve(batch.size());
    for (const Event& event : batch) wire.push_back(EventToProto(event));
    const auto submitted = std::chrono::steady_clock::now();
    auto reply = client_.Submit(std::move(wire));
    const double latency_ms =
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - submitted)
            .count();
    std::vector<SubmitAnswer> answers(batch.size());
    for (auto& answer : answers) answer.latency_ms = latency_ms;
    if (!reply.ok() || reply->results_size() != static_cast<int>(batch.size())) return answers;
    for (int i = 0; i < reply->results_size(); ++i) {
      const auto& result = reply->results(i);
      SubmitAnswer& answer = answers[static_cast<std::size_t>(i)];
      if (result.error().code() == v1::STATUS_CODE_INVALID_ARGUMENT) {
        answer.kind = SubmitAnswer::Kind::kRejected;
      } else if (result.error().code() == v1::STATUS_CODE_UNAVAILABLE) {
        answer.kind = SubmitAnswer::Kind::kUnavailable;
      } else if (result.error().code() != v1::STATUS_CODE_OK) {
        answer.kind = SubmitAnswer::Kind::kUnanswered;
      } else if (result.outcome() == v1::OUTCOME_DEAD_LETTER) {
        answer.kind = SubmitAnswer::Kind::kDeadLetter;
      } else {
        answer.kind = SubmitAnswer::Kind::kDecided;
        answer.outcome = WireOutcomeName(result.outcome());
      }
    }
    return answers;
  }

 private:
  zmq::context_t context_;
  ResolverClient client_;
};

}  // namespace

std::unique_ptr<Submitter> MakeZmqSubmitter(const std::vector<std::string>& endpoints,
                                            std::optional<CurveClientKeys> curve) {
  return std::make_unique<ZmqSubmitter>(endpoints, std::move(curve));
}

}  // namespace synchub
