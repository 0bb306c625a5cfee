#include "cafman/net/call_stats.hpp"

#include <string>

namespace cafman::net {

call_counts& call_counts::operator+=(const call_counts& other) {
  calls += other.calls;
  errors += other.errors;
  bytes_in += other.bytes_in;
  bytes_out += other.bytes_out;
  waiting += other.waiting;
  timeouts += other.timeouts;
  return *this;
}

value call_counts::to_value() const {
  return value{dict_value{{"calls", calls},
                          {"errors", errors},
                          {"bytes_in", bytes_in},
                          {"bytes_out", bytes_out},
                          {"waiting", waiting},
                          {"timeouts", timeouts}}};
}

call_counts call_stats::total() const {
  call_counts sum;
  for (auto& entry : by_kind_)
    sum += entry.second;
  return sum;
}

value call_stats::report(const std::map<std::uint64_t, call_counts>& sessions) const {
  std::map<std::string, call_counts> by_type; // sorted, and "cafman." dropped
  for (auto& [kind, counts] : by_kind_) {
    std::string name = kind;
    if (name.rfind("cafman.", 0) == 0)
      name.erase(0, 7);
    by_type[name] += counts;
  }
  dict_value types;
  for (auto& [name, counts] : by_type)
    types.insert_or_assign(value{name}, counts.to_value());
  dict_value per_session;
  for (auto& [number, counts] : sessions)
    per_session.insert_or_assign(value{static_cast<std::int64_t>(number)}, counts.to_value());
  return value{dict_value{{"by_type", std::move(types)},
                          {"total", total().to_value()},
                          {"sessions", std::move(per_session)}}};
}

} // namespace cafman::net
