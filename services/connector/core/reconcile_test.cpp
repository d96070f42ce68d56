#include "connector/core/reconcile.hpp"

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <algorithm>
#include <array>
#include <map>
#include <optional>
#include <ostream>
#include <random>
#include <string>
#include <vector>

#include "common/core/json.hpp"

namespace synchub::connector {

// Failure messages show a range as (after, up_to]; found by argument-dependent lookup.
static void PrintTo(const KeyRange& range, std::ostream* out) {
  *out << "(\"" << range.after << "\", " << (range.up_to ? "\"" + *range.up_to + "\"" : "end")
       << "]";
}

namespace {

using Lines = std::vector<std::string>;
using Ranges = std::vector<KeyRange>;

// A local row; `fields` is JSON text read as the adapters read stored JSON (numbers exact).
LocalRow Row(const std::string& key, std::int64_t version, std::string_view fields) {
  return {key, version, ParseStoredJson(fields)};
}

// A live canonical record in API form.
HubRow Live(const std::string& key, std::int64_t version, std::string_view fields) {
  Json record = {{"externalId", key}, {"version", version}, {"deleted", false}};
  record["fields"] = ParseStoredJson(fields);
  return {key, version, false, version * 10, record};
}

// A canonical tombstone in API form.
HubRow Deleted(const std::string& key, std::int64_t version) {
  Json record = {{"externalId", key}, {"version", version}, {"deleted", true}};
  record["fields"] = Json::object();
  return {key, version, true, version * 10, record};
}

// One difference as a line: "<key> <kind> <repair> local=<v>[ deleted] hub=<v> [<fields>]".
std::string Describe(const RowDifference& difference) {
  std::string line = difference.key + " " + DifferenceName(difference.kind) + " " +
                     (difference.repair == Repair::kSubmitLocal ? "submit" : "apply") +
                     " local=" + std::to_string(difference.local_version) +
                     (difference.local_deleted ? " deleted" : "") +
                     " hub=" + std::to_string(difference.hub_version) + " [";
  for (std::size_t i = 0; i < difference.fields.size(); ++i) {
    line += (i == 0 ? "" : ",") + difference.fields[i];
  }
  return line + "]";
}

std::vector<std::string> Describe(const std::vector<RowDifference>& differences) {
  std::vector<std::string> lines;
  for (const auto& difference : differences) lines.push_back(Describe(difference));
  return lines;
}

const std::vector<std::string> kFields = {"name", "amount", "note"};

std::vector<std::string> Compare(const std::vector<LocalRow>& local, const std::vector<HubRow>& hub,
                                 const std::map<std::string, std::int64_t>& tombstones = {}) {
  return Describe(CompareRange(local, hub, kFields, tombstones));
}

// ---- CompareRowsOf ----

TEST(CompareRowsOf, OnceNeitherSideHoldsMoreThanTheLeafRows) {
  EXPECT_TRUE(CompareRowsOf({0, 0}, {0, 0}, 0));
  EXPECT_TRUE(CompareRowsOf({3, 1}, {5, 2}, 5));  // the bound itself is a leaf
  EXPECT_TRUE(CompareRowsOf({5, 1}, {3, 2}, 5));
  EXPECT_TRUE(CompareRowsOf({0, 0}, {1, 9}, 1));
  EXPECT_FALSE(CompareRowsOf({6, 1}, {0, 0}, 5));  // either side past it splits further
  EXPECT_FALSE(CompareRowsOf({0, 0}, {6, 1}, 5));
  EXPECT_FALSE(CompareRowsOf({1, 1}, {1, 2}, 0));
}

TEST(CompareRowsOf, DependsOnTheRowCountsNotTheChecksums) {
  EXPECT_EQ(CompareRowsOf({4, 1}, {4, 2}, 4), CompareRowsOf({4, 7}, {4, -7}, 4));
  EXPECT_EQ(CompareRowsOf({9, 1}, {4, 2}, 4), CompareRowsOf({9, 0}, {4, 0}, 4));
}

// ---- SplitAt ----

TEST(SplitAt, NoKeysGivesTheRangeItself) {
  const KeyRange bounded{"a", "z"};
  EXPECT_EQ(SplitAt(bounded, {}), (Ranges{bounded}));
  const KeyRange open{"", std::nullopt};
  EXPECT_EQ(SplitAt(open, {}), (Ranges{open}));
}

TEST(SplitAt, SplitsABoundedRangeIntoConsecutiveRanges) {
  EXPECT_EQ(SplitAt({"a", "z"}, {"c", "m"}),
            (Ranges{KeyRange{"a", "c"}, KeyRange{"c", "m"}, KeyRange{"m", "z"}}));
}

TEST(SplitAt, SplitsAnOpenEndedRangeAndKeepsItsOpenEnd) {
  EXPECT_EQ(SplitAt({"", std::nullopt}, {"k"}),
            (Ranges{KeyRange{"", "k"}, KeyRange{"k", std::nullopt}}));
  EXPECT_EQ(SplitAt({"b", std::nullopt}, {"zzzz", "c"}),
            (Ranges{KeyRange{"b", "c"}, KeyRange{"c", "zzzz"}, KeyRange{"zzzz", std::nullopt}}));
}

TEST(SplitAt, SortsAndDeduplicatesTheKeys) {
  EXPECT_EQ(
      SplitAt({"a", "z"}, {"m", "c", "m", "x", "c", "c"}),
      (Ranges{KeyRange{"a", "c"}, KeyRange{"c", "m"}, KeyRange{"m", "x"}, KeyRange{"x", "z"}}));
}

TEST(SplitAt, IgnoresKeysOutsideTheRange) {
  // `after` itself and anything before it is outside (after, up_to].
  EXPECT_EQ(SplitAt({"c", "m"}, {"a", "c", "", "b"}), (Ranges{KeyRange{"c", "m"}}));
  // Past up_to is outside; up_to itself is inside but splitting there adds no key.
  EXPECT_EQ(SplitAt({"c", "m"}, {"m", "n", "zz", "m0"}), (Ranges{KeyRange{"c", "m"}}));
  EXPECT_EQ(SplitAt({"c", "m"}, {"a", "m", "f", "z", "c"}),
            (Ranges{KeyRange{"c", "f"}, KeyRange{"f", "m"}}));
  EXPECT_EQ(SplitAt({"", std::nullopt}, {""}), (Ranges{KeyRange{"", std::nullopt}}));
}

TEST(SplitAt, OrdersKeysByBytes) {
  // Byte order: "B" < "a" < "a0" < "b" < "é" (0xC3 0xA9) < "\xff".
  EXPECT_EQ(SplitAt({"", std::nullopt}, {"\xff", "b", "\xc3\xa9", "a0", "a", "B"}),
            (Ranges{KeyRange{"", "B"}, KeyRange{"B", "a"}, KeyRange{"a", "a0"}, KeyRange{"a0", "b"},
                    KeyRange{"b", "\xc3\xa9"}, KeyRange{"\xc3\xa9", "\xff"},
                    KeyRange{"\xff", std::nullopt}}));
  // A prefix sorts before its extensions, so "k" and "k\x01" are both split points.
  EXPECT_EQ(SplitAt({"k", "k\x02"}, {"k\x01", "k"}),
            (Ranges{KeyRange{"k", "k\x01"}, KeyRange{"k\x01", "k\x02"}}));
}

bool Contains(const KeyRange& range, const std::string& key) {
  return range.after < key && (!range.up_to || key <= *range.up_to);
}

rc::Gen<std::string> GenKey() {
  return rc::gen::mapcat(rc::gen::inRange(0, 4), [](int length) {
    return rc::gen::container<std::string>(length, rc::gen::element('a', 'b', '\x01', '\xff'));
  });
}

RC_GTEST_PROP(SplitAtProperty, CoversExactlyTheRangeWithConsecutiveNonEmptyRanges, ()) {
  std::string after = *GenKey();
  std::optional<std::string> up_to = *GenKey();
  if (*up_to < after) std::swap(after, *up_to);
  if (*up_to == after || *rc::gen::arbitrary<bool>()) up_to.reset();
  const KeyRange range{after, up_to};
  const auto keys = *rc::gen::container<std::vector<std::string>>(GenKey());

  const auto ranges = SplitAt(range, keys);
  RC_ASSERT(!ranges.empty());
  RC_ASSERT(ranges.front().after == range.after);
  RC_ASSERT(ranges.back().up_to == range.up_to);
  for (std::size_t i = 0; i + 1 < ranges.size(); ++i) {
    RC_ASSERT(ranges[i].up_to.has_value());
    RC_ASSERT(*ranges[i].up_to == ranges[i + 1].after);  // consecutive
    RC_ASSERT(ranges[i].after < *ranges[i].up_to);       // no empty range
  }
  // The split points are exactly the distinct keys strictly inside the range.
  std::vector<std::string> inside;
  for (const auto& key : keys) {
    if (Contains(range, key) && key != range.up_to) inside.push_back(key);
  }
  std::sort(inside.begin(), inside.end());
  inside.erase(std::unique(inside.begin(), inside.end()), inside.end());
  RC_ASSERT(ranges.size() == inside.size() + 1);
  for (std::size_t i = 0; i < inside.size(); ++i) RC_ASSERT(*ranges[i].up_to == inside[i]);
  // Every key lies in exactly one piece if it lies in the range, else in none.
  auto probes = keys;
  probes.push_back(range.after);
  if (range.up_to) probes.push_back(*range.up_to);
  for (int i = 0; i < 5; ++i) probes.push_back(*GenKey());
  for (const auto& probe : probes) {
    const auto holding = std::count_if(ranges.begin(), ranges.end(), [&](const KeyRange& piece) {
      return Contains(piece, probe);
    });
    RC_ASSERT(holding == (Contains(range, probe) ? 1 : 0));
  }
  // The order and repetition of the keys do not matter.
  auto shuffled = keys;
  shuffled.insert(shuffled.end(), keys.begin(), keys.end());
  std::shuffle(shuffled.begin(), shuffled.end(), std::mt19937(*rc::gen::arbitrary<unsigned>()));
  RC_ASSERT(SplitAt(range, shuffled) == ranges);
}

// ---- CompareRange: equal rows ----

TEST(CompareRange, NothingToCompareGivesNoDifference) {
  EXPECT_EQ(Compare({}, {}), Lines{});
  EXPECT_EQ(Compare({}, {}, {{"k", 3}}), Lines{});
}

TEST(CompareRange, EqualRowsAreNoDifference) {
  EXPECT_EQ(Compare({Row("k1", 3, R"({"name":"a","amount":5,"note":"x"})")},
                    {Live("k1", 3, R"({"note":"x","amount":5,"name":"a"})")}),
            Lines{});
}

TEST(CompareRange, NumbersCompareByValue) {
  const std::vector<std::pair<const char*, const char*>> equal = {
      {"1", "1.0"},    {"1.0", "1"},
      {"1", "1.00"},   {"1.0", "1.00"},
      {"100e-2", "1"}, {"-0", "0.0"},
      {"2.50", "2.5"}, {"123456789012345678901234567890", "1.2345678901234567890123456789e29"}};
  for (const auto& [local, hub] : equal) {
    EXPECT_EQ(Compare({Row("k", 2, std::string(R"({"amount":)") + local + "}")},
                      {Live("k", 2, std::string(R"({"amount":)") + hub + "}")}),
              Lines{})
        << local << " vs " << hub;
  }
  // Inside objects and arrays too, whatever the member order.
  EXPECT_EQ(Compare({Row("k", 2, R"({"note":{"x":1,"y":[1.5,2]}})")},
                    {Live("k", 2, R"({"note":{"y":[1.50,2.0],"x":1.000}})")}),
            Lines{});
  // A number is not its text, and a value is not a near one.
  EXPECT_EQ(Compare({Row("k", 2, R"({"amount":1})")}, {Live("k", 2, R"({"amount":"1"})")}),
            (Lines{"k differing apply local=2 hub=2 [amount]"}));
  EXPECT_EQ(
      Compare({Row("k", 2, R"({"amount":1.0})")}, {Live("k", 2, R"({"amount":1.0000000001})")}),
      (Lines{"k differing apply local=2 hub=2 [amount]"}));
}

TEST(CompareRange, AMissingFieldEqualsNull) {
  EXPECT_EQ(
      Compare({Row("k", 1, R"({"name":"a","note":null})")}, {Live("k", 1, R"({"name":"a"})")}),
      Lines{});
  EXPECT_EQ(Compare({Row("k", 1, R"({"name":"a"})")},
                    {Live("k", 1, R"({"name":"a","amount":null,"note":null})")}),
            Lines{});
  // No fields at all on either side: every mapped field is NULL.
  EXPECT_EQ(Compare({Row("k", 1, "null")}, {Live("k", 1, "{}")}), Lines{});
  HubRow without_fields = Live("k", 1, "{}");
  without_fields.record.erase("fields");
  EXPECT_EQ(Compare({Row("k", 1, R"({"name":null})")}, {without_fields}), Lines{});
  // But null is not an empty string, zero or false.
  EXPECT_EQ(Compare({Row("k", 1, R"({"name":"","amount":0,"note":false})")}, {Live("k", 1, "{}")}),
            (Lines{"k differing apply local=1 hub=1 [name,amount,note]"}));
}

TEST(CompareRange, IgnoresFieldsThisSourceDoesNotMap) {
  EXPECT_EQ(Compare({Row("k", 4, R"({"name":"a","local_only":1})")},
                    {Live("k", 4, R"({"name":"a","other_source":"x","local_only":2})")}),
            Lines{});
}

// ---- CompareRange: both sides hold the key ----

TEST(CompareRange, AVersionOnlyDifferenceIsRepairedByVersion) {
  EXPECT_EQ(Compare({Row("k", 2, R"({"name":"a"})")}, {Live("k", 3, R"({"name":"a"})")}),
            (Lines{"k differing apply local=2 hub=3 []"}));
  EXPECT_EQ(Compare({Row("k", 4, R"({"name":"a"})")}, {Live("k", 3, R"({"name":"a"})")}),
            (Lines{"k differing submit local=4 hub=3 []"}));
  // A NULL version column (0) against a synced record.
  EXPECT_EQ(Compare({Row("k", 0, R"({"name":"a"})")}, {Live("k", 1, R"({"name":"a"})")}),
            (Lines{"k differing apply local=0 hub=1 []"}));
}

TEST(CompareRange, AValueDifferenceNamesTheFieldsInMappingOrder) {
  EXPECT_EQ(Compare({Row("k", 3, R"({"name":"a","amount":1,"note":"x"})")},
                    {Live("k", 3, R"({"name":"b","amount":1.0,"note":null})")}),
            (Lines{"k differing apply local=3 hub=3 [name,note]"}));
  EXPECT_EQ(Compare({Row("k", 5, R"({"amount":2})")}, {Live("k", 3, R"({"amount":1})")}),
            (Lines{"k differing submit local=5 hub=3 [amount]"}));
  EXPECT_EQ(Compare({Row("k", 1, R"({"amount":2})")}, {Live("k", 3, R"({"amount":1})")}),
            (Lines{"k differing apply local=1 hub=3 [amount]"}));
  // Only the mapped fields are named.
  const auto only_mapped = CompareRange({Row("k", 1, R"({"a":1,"b":2})")},
                                        {Live("k", 1, R"({"a":2,"b":3})")}, {"b"}, {});
  ASSERT_EQ(only_mapped.size(), 1u);
  EXPECT_EQ(only_mapped[0].fields, Lines{"b"});
}

TEST(CompareRange, ALocalRowAgainstAHubTombstoneDiffersInDeleted) {
  // Local state newer than the hub's delete: the row is submitted.
  EXPECT_EQ(Compare({Row("k", 5, R"({"name":"a"})")}, {Deleted("k", 4)}),
            (Lines{"k differing submit local=5 hub=4 [_deleted]"}));
  // Otherwise the delete is applied.
  EXPECT_EQ(Compare({Row("k", 4, R"({"name":"a"})")}, {Deleted("k", 4)}),
            (Lines{"k differing apply local=4 hub=4 [_deleted]"}));
  EXPECT_EQ(Compare({Row("k", 3, "{}")}, {Deleted("k", 4)}),
            (Lines{"k differing apply local=3 hub=4 [_deleted]"}));
  // A local tombstone of the key does not matter while the row exists.
  EXPECT_EQ(Compare({Row("k", 3, "{}")}, {Deleted("k", 4)}, {{"k", 9}}),
            (Lines{"k differing apply local=3 hub=4 [_deleted]"}));
}

TEST(CompareRange, ALocalRowOutranksItsOwnOlderTombstone) {
  EXPECT_EQ(
      Compare({Row("k", 6, R"({"name":"a"})")}, {Live("k", 6, R"({"name":"a"})")}, {{"k", 9}}),
      Lines{});
}

// ---- CompareRange: one side only ----

TEST(CompareRange, ALocalOnlyRowIsMissingAtHubAndSubmitted) {
  EXPECT_EQ(Compare({Row("k", 7, R"({"name":"a"})")}, {}),
            (Lines{"k missing_at_hub submit local=7 hub=0 []"}));
  EXPECT_EQ(Compare({Row("k", 0, "{}")}, {}), (Lines{"k missing_at_hub submit local=0 hub=0 []"}));
}

TEST(CompareRange, AHubOnlyLiveRecordIsMissingLocallyAndApplied) {
  EXPECT_EQ(Compare({}, {Live("k", 3, R"({"name":"a"})")}),
            (Lines{"k missing_locally apply local=0 hub=3 []"}));
}

TEST(CompareRange, AHubOnlyTombstoneIsNoDifference) {
  EXPECT_EQ(Compare({}, {Deleted("k", 3)}), Lines{});
  EXPECT_EQ(Compare({}, {Deleted("k", 3)}, {{"k", 2}}), Lines{});
  EXPECT_EQ(Compare({}, {Deleted("k", 3)}, {{"k", 5}}), Lines{});
}

TEST(CompareRange, ALocalDeleteNewerThanTheLiveRecordIsSubmitted) {
  EXPECT_EQ(Compare({}, {Live("k", 3, R"({"name":"a"})")}, {{"k", 4}}),
            (Lines{"k missing_locally submit local=4 deleted hub=3 []"}));
}

TEST(CompareRange, ALocalDeleteNotNewerThanTheLiveRecordIsRepairedByTheRecord) {
  EXPECT_EQ(Compare({}, {Live("k", 3, R"({"name":"a"})")}, {{"k", 2}}),
            (Lines{"k missing_locally apply local=0 hub=3 []"}));
  EXPECT_EQ(Compare({}, {Live("k", 3, R"({"name":"a"})")}, {{"k", 3}}),
            (Lines{"k missing_locally apply local=0 hub=3 []"}));
  // Another key's tombstone does not count.
  EXPECT_EQ(Compare({}, {Live("k", 3, R"({"name":"a"})")}, {{"j", 9}, {"k0", 9}}),
            (Lines{"k missing_locally apply local=0 hub=3 []"}));
}

TEST(CompareRange, SortsTheDifferencesByKeyBytes) {
  const std::vector<LocalRow> local = {Row("k2", 1, "{}"), Row("b", 5, "{}"), Row("k10", 1, "{}"),
                                       Row("same", 1, "{}"), Row("\xc3\xa9", 1, "{}")};
  const std::vector<HubRow> hub = {Live("z", 1, "{}"), Live("same", 1, "{}"), Deleted("b", 2),
                                   Live("A", 1, "{}"), Live("k2", 2, "{}"),   Deleted("gone", 1)};
  EXPECT_EQ(Compare(local, hub), (Lines{"A missing_locally apply local=0 hub=1 []",
                                        "b differing submit local=5 hub=2 [_deleted]",
                                        "k10 missing_at_hub submit local=1 hub=0 []",
                                        "k2 differing apply local=1 hub=2 []",
                                        "z missing_locally apply local=0 hub=1 []",
                                        "\xc3\xa9 missing_at_hub submit local=1 hub=0 []"}));
}

TEST(DifferenceName, NamesEachKind) {
  EXPECT_STREQ(DifferenceName(Difference::kMissingLocally), "missing_locally");
  EXPECT_STREQ(DifferenceName(Difference::kMissingAtHub), "missing_at_hub");
  EXPECT_STREQ(DifferenceName(Difference::kDiffering), "differing");
}

// ---- CompareRange: a property over random tables ----

// Field values; those in one class are JsonEqual (a missing field equals null).
struct PoolValue {
  const char* text;  // nullptr: the field is absent
  int equal_class;
};
constexpr std::array<PoolValue, 9> kPool = {{{nullptr, 0},
                                             {"null", 0},
                                             {"1", 1},
                                             {"1.0", 1},
                                             {"1.00", 1},
                                             {R"("1")", 2},
                                             {R"("a")", 3},
                                             {"2.5", 4},
                                             {"25e-1", 4}}};

Json FieldsOf(const std::vector<std::string>& names, const std::vector<int>& values) {
  Json fields = Json::object();
  for (std::size_t i = 0; i < names.size(); ++i) {
    if (kPool[values[i]].text != nullptr) fields[names[i]] = ParseStoredJson(kPool[values[i]].text);
  }
  return fields;
}

RC_GTEST_PROP(CompareRangeProperty, ReportsEachDifferingKeyOnceWithTheRepairItsVersionsCallFor,
              ()) {
  const std::vector<std::string> mapped = {"a", "b"};
  const std::vector<std::string> all = {"a", "b", "unmapped"};
  const int key_count = *rc::gen::inRange(0, 12);
  std::vector<LocalRow> local;
  std::vector<HubRow> hub;
  std::map<std::string, std::int64_t> tombstones;
  std::map<std::string, std::string> expected;  // key -> Describe() of its difference
  for (int i = 0; i < key_count; ++i) {
    const std::string key = "k" + std::to_string(i);  // "k10" < "k2": byte order matters
    const bool has_row = *rc::gen::arbitrary<bool>();
    const int hub_state = *rc::gen::inRange(0, 3);  // 0 absent, 1 live, 2 deleted
    const auto local_version = *rc::gen::inRange<std::int64_t>(0, 4);
    const auto hub_version = *rc::gen::inRange<std::int64_t>(0, 4);
    const auto local_values = *rc::gen::container<std::vector<int>>(3, rc::gen::inRange(0, 9));
    const auto hub_values = *rc::gen::container<std::vector<int>>(3, rc::gen::inRange(0, 9));
    std::optional<std::int64_t> tombstone;
    if (*rc::gen::arbitrary<bool>()) tombstone = *rc::gen::inRange<std::int64_t>(0, 4);

    if (has_row) local.push_back({key, local_version, FieldsOf(all, local_values)});
    if (hub_state == 1) {
      HubRow row = Live(key, hub_version, "{}");
      row.record["fields"] = FieldsOf(all, hub_values);
      hub.push_back(row);
    }
    if (hub_state == 2) hub.push_back(Deleted(key, hub_version));
    if (tombstone) tombstones[key] = *tombstone;

    // The model: the header's contract, with JsonEqual replaced by the pool's classes.
    RowDifference want;
    want.key = key;
    if (has_row && hub_state == 0) {
      want.kind = Difference::kMissingAtHub;
      want.repair = Repair::kSubmitLocal;
      want.local_version = local_version;
    } else if (!has_row && hub_state == 1) {
      want.kind = Difference::kMissingLocally;
      want.hub_version = hub_version;
      if (tombstone && *tombstone > hub_version) {
        want.repair = Repair::kSubmitLocal;
        want.local_deleted = true;
        want.local_version = *tombstone;
      }
    } else if (has_row && hub_state != 0) {
      want.local_version = local_version;
      want.hub_version = hub_version;
      want.repair = local_version > hub_version ? Repair::kSubmitLocal : Repair::kApplyCanonical;
      if (hub_state == 2) {
        want.fields = {"_deleted"};
      } else {
        for (std::size_t f = 0; f < mapped.size(); ++f) {
          if (kPool[local_values[f]].equal_class != kPool[hub_values[f]].equal_class) {
            want.fields.push_back(mapped[f]);
          }
        }
        if (want.fields.empty() && local_version == hub_version) continue;  // equal rows
      }
    } else {
      continue;  // nowhere, or deleted at the hub and absent here
    }
    expected[key] = Describe(want);
  }
  const unsigned seed = *rc::gen::arbitrary<unsigned>();
  std::shuffle(local.begin(), local.end(), std::mt19937(seed));
  std::shuffle(hub.begin(), hub.end(), std::mt19937(seed + 1));

  const auto differences = CompareRange(local, hub, mapped, tombstones);
  std::vector<std::string> keys;
  for (const auto& difference : differences) keys.push_back(difference.key);
  RC_ASSERT(std::is_sorted(keys.begin(), keys.end()));
  RC_ASSERT(std::adjacent_find(keys.begin(), keys.end()) == keys.end());  // each key once
  std::map<std::string, std::string> actual;
  for (const auto& difference : differences) actual[difference.key] = Describe(difference);
  RC_ASSERT(actual == expected);
}

}  // namespace
}  // namespace synchub::connector
