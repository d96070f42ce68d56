// OutboundServer's reverse loads (docs/design.md, "Reverse load"; core/reverse_load.hpp).
#include <spdlog/spdlog.h>

#include "common/core/json.hpp"
#include "outbound/app/outbound_server.hpp"

namespace synchub {
namespace {

constexpr int kLoadPageRecords = 500;
// A page without its LoadAck for this long is sent again (the connector applies idempotently).
constexpr std::chrono::seconds kLoadPageResend{10};

}  // namespace

void OutboundServer::BeginSession(const std::string& identity, const v1::Subscribe& subscribe) {
  const std::string& source = subscribe.source();
  if (!Connected()) return;  // the connector subscribes again when no heartbeat comes
  auto cursor = store_->LoadCursorState(source);
  if (!Check(cursor.status())) {
    spdlog::warn("subscribe {}: {}", source, cursor.status().message());
    return;
  }
  std::optional<bool> resume_known;
  if (subscribe.resume_after_seq() > 0) {
    auto holds = store_->LogHolds(static_cast<std::int64_t>(subscribe.resume_after_seq()),
                                  subscribe.resume_entity(), subscribe.resume_external_id(),
                                  subscribe.resume_etag());
    if (!Check(holds.status())) {
      spdlog::warn("subscribe {}: {}", source, holds.status().message());
      return;
    }
    resume_known = *holds;
  }
  const SubscribeDecision decision = DecideSubscribe(*cursor, resume_known);
  const auto now = clock_.Now();
  sessions_.insert_or_assign(source,
                             DeliverySession(identity, subscribe.credit(), cursor->position, now));
  loads_.erase(source);
  subscriptions_.insert_or_assign(source, subscribe);
  if (decision.start == SessionStart::kStream) {
    spdlog::info("{} subscribed, resuming after seq {}", source, cursor->position.seq);
    return;
  }
  ReverseLoad load;
  load.reason = decision.reason;
  load.credit = subscribe.credit();
  load.entities.assign(subscribe.entities().begin(), subscribe.entities().end());
  if (decision.start == SessionStart::kResumeLoad) {
    load.xid = cursor->load_xid;
    load.reset = load.reason == kSourceAheadReason;
    load.after_entity = cursor->load_after_entity;
    load.after_key = cursor->load_after_key;
    spdlog::info("{} subscribed; its reverse load ({}) resumes after {}/{}", source, load.reason,
                 load.after_entity, load.after_key);
  } else {
    auto xid = store_->StartLoad(source, decision.reason);
    if (!Check(xid.status())) {
      spdlog::warn("starting {}'s reverse load: {}", source, xid.status().message());
      sessions_.erase(source);  // the connector subscribes again
      return;
    }
    load.xid = *xid;
    load.reset = resume_known.has_value() && !*resume_known;
    if (load.reset) {
      spdlog::warn(
          "{} applied change seq {} ({}/{} etag {}), which the hub's log does not hold: "
          "the hub's database is older than the source (restored from a backup?); "
          "reloading it. Changes only {} holds are kept there: run "
          "`synchub-connector reconcile --repair` for {} to send them to the hub",
          source, subscribe.resume_after_seq(), subscribe.resume_entity(),
          subscribe.resume_external_id(), subscribe.resume_etag(), source, source);
      metrics_.SourceAhead(source);
    } else {
      spdlog::info("{} subscribed; reverse load ({}) begins", source, decision.reason);
    }
  }
  loads_.insert_or_assign(source, std::move(load));
}

void OutboundServer::SendLoadPage(const std::string& source, DeliverySession& session,
                                  ReverseLoad& load) {
  const auto now = clock_.Now();
  if (load.in_flight && now - load.sent_at < kLoadPageResend) return;
  if (!Connected()) return;
  auto page =
      store_->ReadLoadPage(load.entities, load.after_entity, load.after_key, kLoadPageRecords);
  if (!Check(page.status())) {
    spdlog::warn("reading {}'s reverse load: {}", source, page.status().message());
    return;
  }
  // A prefix of at most kMaxMessageRecordBytes; the page is the last only when it was short
  // and nothing was cut.
  const std::size_t read = page->size();
  page->resize(PrefixWithinBytes(*page, kMaxMessageRecordBytes));
  v1::HubToConnector message;
  v1::LoadPage* out = message.mutable_load();
  for (const auto& change : *page) {
    v1::OutboundChange* record = out->add_records();
    record->set_target_source(source);
    record->set_entity(change.entity);
    record->set_external_id(change.external_id);
    record->set_version(change.version);
    record->set_deleted(change.deleted);
    record->set_etag(change.etag);
    record->set_record_json(change.record_json);
  }
  out->set_last(page->size() == read && static_cast<int>(read) < kLoadPageRecords);
  out->set_reason(load.reason);
  out->set_reset(load.reset);
  load.sent_entity = page->empty() ? load.after_entity : page->back().entity;
  load.sent_key = page->empty() ? load.after_key : page->back().external_id;
  load.sent_last = out->last();
  load.sent_empty = page->empty();
  load.in_flight = true;
  load.sent_at = now;
  if (!Send(session.identity(), message.SerializeAsString())) {
    spdlog::info("{} is gone; its session ends", source);
    session.End();
    return;
  }
  session.Sent(now);
  load.records += static_cast<std::int64_t>(page->size());
  metrics_.Loaded(source, page->size());
}

void OutboundServer::HandleLoadAck(const std::string& identity, const v1::LoadAck& ack) {
  const std::string& source = ack.source();
  auto session = sessions_.find(source);
  auto load = loads_.find(source);
  if (session == sessions_.end() || session->second.identity() != identity ||
      load == loads_.end()) {
    return;
  }
  session->second.Heard(clock_.Now());
  ReverseLoad& state = load->second;
  // An empty page (the load's end) is acknowledged without a record to name.
  const bool same_page = state.sent_empty || (ack.after_entity() == state.sent_entity &&
                                              ack.after_external_id() == state.sent_key);
  if (!state.in_flight || !same_page || ack.last() != state.sent_last) {
    return;  // a late acknowledgement of a page sent before
  }
  if (!Connected()) return;  // the page is sent again later
  if (Status saved = store_->SaveLoadProgress(source, state.sent_entity, state.sent_key);
      !Check(saved)) {
    spdlog::warn("saving {}'s reverse load: {}", source, saved.message());
    return;
  }
  state.after_entity = state.sent_entity;
  state.after_key = state.sent_key;
  state.in_flight = false;
  if (!state.sent_last) return;
  auto position = store_->FinishLoad(source);
  if (!Check(position.status())) {
    spdlog::warn("ending {}'s reverse load: {}", source, position.status().message());
    state.in_flight = true;  // the last page goes again; its ack ends the load
    state.sent_at = {};
    return;
  }
  spdlog::info("{}'s reverse load ({}) is done: {} records sent; the stream resumes at xid {}",
               source, state.reason, state.records, position->xid);
  sessions_.insert_or_assign(source,
                             DeliverySession(identity, state.credit, *position, clock_.Now()));
  loads_.erase(load);
}

void OutboundServer::StartRequestedReloads() {
  if (!Connected()) return;
  auto requested = store_->ReloadsRequested();
  if (!Check(requested.status())) return;
  for (const auto& source : *requested) {
    auto session = sessions_.find(source);
    if (session == sessions_.end() || loads_.count(source) > 0) continue;  // at its next session
    auto xid = store_->StartLoad(source, "reload requested");
    if (!Check(xid.status())) return;
    const v1::Subscribe& subscribe = subscriptions_[source];
    ReverseLoad load;
    load.xid = *xid;
    load.reason = "reload requested";
    load.credit = subscribe.credit();
    load.entities.assign(subscribe.entities().begin(), subscribe.entities().end());
    spdlog::info("{}: reverse load (reload requested) begins", source);
    loads_.insert_or_assign(source, std::move(load));
  }
}

}  // namespace synchub
