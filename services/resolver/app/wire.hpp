// The resolver's wire mapping: requests to work items, results to replies. Pure.
#pragma once

#include <string>
#include <vector>

#include "common/core/catalog.hpp"
#include "resolver/core/event_result.hpp"
#include "synchub/v1/resolver.pb.h"

namespace synchub {

// One decoded event of a request: a work item to resolve, or (when `error` is not OK) an
// answer already known — the event was rejected and nothing of it is stored.
struct DecodedEvent {
  WorkItem item;
  Status error;
};

// Decodes and validates each event of `request` against `catalog` (SPEC section 2).
// An event without an event id gets `make_id()`'s value.
template <typename MakeId>
std::vector<DecodedEvent> DecodeSubmit(const v1::SubmitRequest& request, const Catalog& catalog,
                                       MakeId&& make_id);

// The wire form of a result.
v1::ResolutionResult ResultToProto(const EventResult& result);

// A result for an event that was not decided: `error` says why (kUnavailable: retry).
EventResult ErrorResult(const std::string& event_id, Status error);

}  // namespace synchub

#include "common/codec/proto_codec.hpp"

namespace synchub {

template <typename MakeId>
std::vector<DecodedEvent> DecodeSubmit(const v1::SubmitRequest& request, const Catalog& catalog,
                                       MakeId&& make_id) {
  std::vector<DecodedEvent> decoded;
  decoded.reserve(request.events_size());
  for (const auto& wire : request.events()) {
    DecodedEvent one;
    auto event = EventFromProto(wire, catalog);
    if (event.ok()) {
      one.item.event = std::move(event).value();
      if (one.item.event.event_id.empty()) one.item.event.event_id = make_id();
    } else {
      one.item.event.event_id = wire.event_id();
      one.error = event.status();
    }
    decoded.push_back(std::move(one));
  }
  return decoded;
}

}  // namespace synchub
