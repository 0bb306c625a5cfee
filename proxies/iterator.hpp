#pragma once

// Client side of an iterator over a container's snapshot (actors/iterator.hpp):
// `for (auto& [k, v] : d.iter_items())` walks a dict of any size, one batch
// per call, without copying it into one message.

#include <cstddef>
#include <cstdint>
#include <iterator>
#include <utility>

#include "cafman/interfaces/iterator.hpp"
#include "cafman/value.hpp"
#include "proxies/object_proxy.hpp"

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

/// An input range over an iterator object, fetching `batch` items per call.
/// T is value, or std::pair<value, value> for a dict's items.
template <class T>
class batched_range {
public:
  batched_range(iterator_proxy source, std::int64_t batch)
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
      buffer_ = source_.next(batch_);
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

  iterator_proxy source_;
  std::int64_t batch_;
  list_value buffer_;
  std::size_t pos_ = 0;
  bool started_ = false;
  bool done_ = false;
  T current_;
};

} // namespace cafman
