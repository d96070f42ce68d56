#include "ingest/http_problem.hpp"

#include <gtest/gtest.h>

#include "common/codec/proto_codec.hpp"

namespace synchub {
namespace {

v1::ResolutionResult Result(v1::Outcome outcome) {
  v1::ResolutionResult result;
  result.set_event_id("e-1");
  result.set_outcome(outcome);
  result.set_changed(true);
  result.set_record_json(R"({"externalId":"K","version":2})");
  result.set_etag(3);
  result.set_log_seq(9);
  return result;
}

TEST(AnswerForResult, AppliedOutcomesAre200WithTheRecordAndEtag) {
  for (auto outcome : {v1::OUTCOME_NEW_RECORD, v1::OUTCOME_VERSION_WIN, v1::OUTCOME_STALE_SKIP,
                       v1::OUTCOME_FIELD_MERGE, v1::OUTCOME_PRIORITY_WIN}) {
    HttpAnswer answer = AnswerForResult(Result(outcome));
    EXPECT_EQ(answer.status, 200) << outcome;
    EXPECT_FALSE(answer.problem);
    EXPECT_EQ(answer.body["outcome"], WireOutcomeName(outcome));
    EXPECT_EQ(answer.body["etag"], 3);
    EXPECT_EQ(answer.body["record"]["version"], 2);
    EXPECT_EQ(answer.body["changed"], true);
  }
}

TEST(AnswerForResult, DeferredIs202AndManualIs409WithTheConflict) {
  EXPECT_EQ(AnswerForResult(Result(v1::OUTCOME_DEFERRED)).status, 202);
  v1::ResolutionResult manual = Result(v1::OUTCOME_MANUAL);
  manual.set_conflict_id(42);
  manual.add_conflicting_fields("email");
  HttpAnswer answer = AnswerForResult(manual);
  EXPECT_EQ(answer.status, 409);
  EXPECT_EQ(answer.body["conflictId"], 42);
  EXPECT_EQ(answer.body["conflictingFields"], Json::array({"email"}));
}

TEST(AnswerForResult, ADeadLetterIs422WithItsReason) {
  v1::ResolutionResult dead = Result(v1::OUTCOME_DEAD_LETTER);
  dead.set_dead_letter_reason("DATABASE_REJECTED");
  HttpAnswer answer = AnswerForResult(dead);
  EXPECT_EQ(answer.status, 422);
  EXPECT_TRUE(answer.problem);
  EXPECT_EQ(answer.body["code"], "DATABASE_REJECTED");
}

TEST(AnswerForResult, ErrorsBecomeProblemsNamingTheKey) {
  v1::ResolutionResult rejected;
  rejected.mutable_error()->set_code(v1::STATUS_CODE_INVALID_ARGUMENT);
  rejected.mutable_error()->set_key("source");
  rejected.mutable_error()->set_reason("unknown_source");
  rejected.mutable_error()->set_message("source: not registered");
  HttpAnswer answer = AnswerForResult(rejected);
  EXPECT_EQ(answer.status, 400);
  EXPECT_EQ(answer.body["key"], "source");
  EXPECT_EQ(answer.body["code"], "unknown_source");
  EXPECT_EQ(answer.body["status"], 400);

  v1::ResolutionResult unavailable;
  unavailable.mutable_error()->set_code(v1::STATUS_CODE_UNAVAILABLE);
  EXPECT_EQ(AnswerForResult(unavailable).status, 503);
}

TEST(ProblemFromStatus, MapsEachCode) {
  EXPECT_EQ(ProblemFromStatus(Status::InvalidArgument("", "body_too_large", "x")).status, 413);
  EXPECT_EQ(ProblemFromStatus(Status::InvalidArgument("k", "missing", "x")).status, 400);
  EXPECT_EQ(ProblemFromStatus(Status::NotFound("x")).status, 404);
  EXPECT_EQ(ProblemFromStatus(Status::AlreadyExists("x")).status, 409);
  EXPECT_EQ(ProblemFromStatus(Status::FailedPrecondition("x")).status, 412);
  EXPECT_EQ(ProblemFromStatus(Status::Unavailable("x")).status, 503);
  EXPECT_EQ(ProblemFromStatus(Status::Internal("x")).status, 500);
}

}  // namespace
}  // namespace synchub
