#pragma once

// How a client walks a container of any size, one batch per call, without
// copying it into one message: `for (auto& [k, v] : d.iter_items())`.
// batched_range is the range; where its batches come from is the walk:
// - a snapshot: an iterator object in the manager (actors/iterator.hpp)
//   that holds a copy taken when the walk began (`iter_snapshot()`);
// - live, as Python iterates: a list by index (`l.iter()` sees changes made
//   before each batch), a dict or set after the last key seen, failing with
//   iteration_error when its size changed under the walk.

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <iterator>
#include <utility>

#include "cafman/interfaces/iterator.hpp"
#include "cafman/value.hpp"
#include "cafman/proxies/object_proxy.hpp"

namespace cafman {

/// Thread-safe; copies share the position.
class iterator_proxy : public basic_proxy<iterator_proxy, iterator_actor> {
public:
  /// The type id of the objects it refers to.
  static constexpr const char* type_id = iterator_type_id;

  /// Made by a container (`d.iter()`), not by users.
  iterator_proxy(std::shared_ptr<detail::object_ref> ref, std::chrono::milliseconds timeout);

  /// The next at most `n` items; empty once exhausted.
  list_value next(std::int64_t n) const;

  /// How many items are left.
  std::size_t remaining() const;

  iterator_actor actor() const;
};

/// Where a walk's batches come from: the next at most n items, empty at
/// the end.
using batch_source = std::function<list_value(std::int64_t n)>;

namespace detail {

/// The batches of an iterator object over a snapshot.
batch_source snapshot_walk(iterator_proxy source);

/// The batches of a live walk over a dict or set (actors/walk.hpp):
/// `request(cursor, n)` asks the object for the items after `cursor`.
/// Throws iteration_error, as Python raises RuntimeError, when the size
/// changed between two batches; `what` names the container ("dictionary").
batch_source live_walk(std::function<value(const value& cursor, std::int64_t n)> request,
                       std::string what);

} // namespace detail

/// An input range over a walk, fetching `batch` items per call.
/// T is value, or std::pair<value, value> for a dict's items.
template <class T>
class batched_range {
public:
  batched_range(batch_source source, std::int64_t batch)
      : source_(std::move(source)), batch_(batch) {}

  batched_range(const batched_range&) = delete;
  batched_range& operator=(const batched_range&) = delete;

  /// A handle on the range's position: every copy sees the same item, as
  /// with any input iterator.
  class iterator {
  public:
    using iterator_category = std::input_iterator_tag;
    using value_type = T;
    using difference_type = std::ptrdiff_t;
    using pointer = const T*;
    using reference = const T&;

    iterator() = default;

    explicit iterator(batched_range* owner) : owner_(owner) {}

    reference operator*() const { return owner_->current_; }
    pointer operator->() const { return &owner_->current_; }

    iterator& operator++() {
      owner_->advance();
      return *this;
    }

    // All iterators of a range are equal until it is exhausted; then equal to end().
    friend bool operator==(const iterator& x, const iterator& y) { return x.done() == y.done(); }
    friend bool operator!=(const iterator& x, const iterator& y) { return !(x == y); }

  private:
    bool done() const { return owner_ == nullptr || owner_->done_; }

    batched_range* owner_ = nullptr;
  };

  /// Where the walk stands: the first item on the first call.
  iterator begin() {
    if (!started_) {
      started_ = true;
      advance();
    }
    return iterator{this};
  }

  iterator end() { return {}; }

private:
  void advance() {
    if (pos_ == buffer_.size()) {
      buffer_ = source_(batch_);
      pos_ = 0;
      if (buffer_.empty()) {
        done_ = true;
        return;
      }
    }
    auto& item = buffer_[pos_++];
    if constexpr (std::is_same_v<T, value>) {
      current_ = std::move(item);
    } else {
      auto& pair = item.as_list();
      current_ = T{std::move(pair.at(0)), std::move(pair.at(1))};
    }
  }

  batch_source source_;
  std::int64_t batch_;
  list_value buffer_;
  std::size_t pos_ = 0;
  bool started_ = false;
  bool done_ = false;
  T current_;
};

} // namespace cafman
