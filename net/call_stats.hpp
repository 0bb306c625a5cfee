#pragma once

// What the lean broker counts for operators (`cafman info`, `cafman
// clients`): calls, failed calls, bytes, calls waiting and waits timed out,
// per client session and per object kind. Plain counters, touched only by the broker's thread; the
// registry asks the broker for a copy (stats_atom).

#include <cstdint>
#include <cstring>
#include <map>
#include <unordered_map>

#include "cafman/value.hpp"

namespace cafman::net {

struct call_counts {
  std::int64_t calls = 0;
  std::int64_t errors = 0; // calls answered with an error
  std::int64_t bytes_in = 0;
  std::int64_t bytes_out = 0;
  std::int64_t waiting = 0;  // calls sent on and not answered yet
  std::int64_t timeouts = 0; // waits that ended by their deadline

  call_counts& operator+=(const call_counts& other);
  value to_value() const;
};

class call_stats {
public:
  /// The counts of the objects whose actors are named `kind` (their
  /// state's name, "cafman.dict"): a stable pointer, so a reply can count
  /// into it later.
  call_counts& of_kind(const char* kind) { return by_kind_[kind]; }

  /// Every kind's counts summed.
  call_counts total() const;

  /// {"by_type": {"dict": counts, ...}, "total": counts}; `sessions` adds
  /// "sessions": {number: counts}.
  value report(const std::map<std::uint64_t, call_counts>& sessions) const;

private:
  std::unordered_map<const char*, call_counts> by_kind_; // names are static strings
};

} // namespace cafman::net
