// FlatStringMap: a map from string keys to values kept as one sorted vector.
//
// Records have tens of fields, are copied whenever the ladder builds a new canonical record,
// and are walked in key order: a sorted vector copies with one allocation (std::map: one per
// node) and walks without pointer chasing. Lookups are binary searches; inserting in the
// middle moves the tail, which for tens of entries is cheaper than a node allocation.
// The subset of std::map's interface synchub uses, with the same meaning; iterators are
// invalidated by any insertion or erasure.
//
// Thread safety: a value type; no internal synchronization.
#pragma once

#include <algorithm>
#include <initializer_list>
#include <stdexcept>
#include <string>
#include <string_view>
#include <tuple>
#include <utility>
#include <vector>

namespace synchub {

template <typename V>
class FlatStringMap {
 public:
  using key_type = std::string;
  using mapped_type = V;
  using value_type = std::pair<std::string, V>;
  using iterator = typename std::vector<value_type>::iterator;
  using const_iterator = typename std::vector<value_type>::const_iterator;
  using size_type = std::size_t;

  FlatStringMap() = default;
  FlatStringMap(std::initializer_list<value_type> entries) {
    entries_.reserve(entries.size());
    for (const auto& entry : entries) insert_or_assign(entry.first, entry.second);
  }

  iterator begin() { return entries_.begin(); }
  iterator end() { return entries_.end(); }
  const_iterator begin() const { return entries_.begin(); }
  const_iterator end() const { return entries_.end(); }
  size_type size() const { return entries_.size(); }
  bool empty() const { return entries_.empty(); }
  void clear() { entries_.clear(); }
  void reserve(size_type n) { entries_.reserve(n); }

  iterator find(std::string_view key) {
    auto it = LowerBound(key);
    return (it != entries_.end() && it->first == key) ? it : entries_.end();
  }
  const_iterator find(std::string_view key) const {
    auto it = LowerBound(key);
    return (it != entries_.end() && it->first == key) ? it : entries_.end();
  }
  size_type count(std::string_view key) const { return find(key) == end() ? 0 : 1; }
  bool contains(std::string_view key) const { return find(key) != end(); }

  // REQUIRES: the key exists (else throws std::out_of_range, like std::map::at).
  V& at(std::string_view key) {
    auto it = find(key);
    if (it == end()) throw std::out_of_range("FlatStringMap::at: no such key");
    return it->second;
  }
  const V& at(std::string_view key) const {
    auto it = find(key);
    if (it == end()) throw std::out_of_range("FlatStringMap::at: no such key");
    return it->second;
  }

  V& operator[](std::string_view key) {
    auto it = LowerBound(key);
    if (it != entries_.end() && it->first == key) return it->second;
    return entries_.emplace(it, std::string(key), V())->second;
  }

  // Inserts (key, value) unless the key exists. Returns the entry and whether it was inserted.
  template <typename... Args>
  std::pair<iterator, bool> emplace(std::string_view key, Args&&... value) {
    auto it = LowerBound(key);
    if (it != entries_.end() && it->first == key) return {it, false};
    return {entries_.emplace(it, std::piecewise_construct, std::forward_as_tuple(key),
                             std::forward_as_tuple(std::forward<Args>(value)...)),
            true};
  }

  template <typename M>
  std::pair<iterator, bool> insert_or_assign(std::string_view key, M&& value) {
    auto it = LowerBound(key);
    if (it != entries_.end() && it->first == key) {
      it->second = std::forward<M>(value);
      return {it, false};
    }
    return {entries_.emplace(it, std::string(key), std::forward<M>(value)), true};
  }

  // Appends an entry whose key sorts after every key present: building a map in order
  // without searching. REQUIRES: empty() or key > the last key.
  template <typename M>
  void AppendInOrder(std::string_view key, M&& value) {
    entries_.emplace_back(std::string(key), std::forward<M>(value));
  }

  iterator erase(const_iterator it) { return entries_.erase(it); }
  size_type erase(std::string_view key) {
    auto it = find(key);
    if (it == end()) return 0;
    entries_.erase(it);
    return 1;
  }

  bool operator==(const FlatStringMap& other) const { return entries_ == other.entries_; }

 private:
  iterator LowerBound(std::string_view key) {
    return std::lower_bound(entries_.begin(), entries_.end(), key,
                            [](const value_type& entry, std::string_view k) {
                              return std::string_view(entry.first) < k;
                            });
  }
  const_iterator LowerBound(std::string_view key) const {
    return std::lower_bound(entries_.begin(), entries_.end(), key,
                            [](const value_type& entry, std::string_view k) {
                              return std::string_view(entry.first) < k;
                            });
  }

  std::vector<value_type> entries_;
};

}  // namespace synchub
