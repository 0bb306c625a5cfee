#include "actors/access.hpp"

namespace cafman {

void access_table::grant(std::uint64_t session, std::uint64_t id) {
  std::lock_guard<std::mutex> guard{mtx_};
  held_[session].insert(id);
}

void access_table::revoke(std::uint64_t session, std::uint64_t id) {
  std::lock_guard<std::mutex> guard{mtx_};
  if (auto i = held_.find(session); i != held_.end())
    i->second.erase(id);
}

void access_table::forget(std::uint64_t session) {
  std::lock_guard<std::mutex> guard{mtx_};
  held_.erase(session);
}

bool access_table::allows(std::uint64_t session, std::uint64_t id) const {
  std::lock_guard<std::mutex> guard{mtx_};
  auto i = held_.find(session);
  return i != held_.end() && i->second.count(id) > 0;
}

std::size_t access_table::held_by(std::uint64_t session) const {
  std::lock_guard<std::mutex> guard{mtx_};
  auto i = held_.find(session);
  return i == held_.end() ? 0 : i->second.size();
}

} // namespace cafman
