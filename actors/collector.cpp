#include "cafman/actors/collector.hpp"

#include <deque>

namespace cafman::detail {

void collection_round::reported(std::uint64_t object, const value* refs) {
  if (waiting_ > 0)
    --waiting_;
  if (refs == nullptr || !refs->is_dict())
    return;
  auto& targets = refers_to_[object];
  for (auto& [id, holds] : refs->as_dict()) {
    if (!id.is_int() || !holds.is_int())
      continue;
    auto target = static_cast<std::uint64_t>(id.as_int());
    targets.push_back(target);
    reported_holds_[target] += holds.as_int();
  }
}

std::vector<std::uint64_t>
collection_round::unreachable(const std::map<std::uint64_t, object_holds>& objects) const {
  std::map<std::uint64_t, std::vector<std::uint64_t>> edges = refers_to_;
  std::deque<std::uint64_t> reached;
  std::set<std::uint64_t> marked;
  for (auto& [id, holds] : objects) {
    for (auto holder : holds.held_by_objects)
      edges[holder].push_back(id);
    auto reported = reported_holds_.find(id);
    bool unexplained =
      holds.manager_holds > (reported == reported_holds_.end() ? 0 : reported->second);
    if (holds.held_elsewhere || unexplained || touched_.count(id) > 0 || scanned_.count(id) == 0)
      if (marked.insert(id).second)
        reached.push_back(id);
  }
  while (!reached.empty()) {
    auto id = reached.front();
    reached.pop_front();
    if (auto out = edges.find(id); out != edges.end())
      for (auto target : out->second)
        if (marked.insert(target).second)
          reached.push_back(target);
  }
  std::vector<std::uint64_t> result;
  for (auto& entry : objects)
    if (marked.count(entry.first) == 0)
      result.push_back(entry.first);
  return result;
}

} // namespace cafman::detail
