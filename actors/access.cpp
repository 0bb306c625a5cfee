#include "cafman/actors/access.hpp"

#include <caf/exit_reason.hpp>
#include <caf/send.hpp>

#include "cafman/actors/hash_tables.hpp"

namespace cafman {

void access_table::grant(std::uint64_t session, std::uint64_t id) {
  std::lock_guard<std::mutex> guard{mtx_};
  ++held_[session][id];
}

void access_table::revoke(std::uint64_t session, std::uint64_t id) {
  std::lock_guard<std::mutex> guard{mtx_};
  auto i = held_.find(session);
  if (i == held_.end())
    return;
  auto held = i->second.find(id);
  if (held != i->second.end() && --held->second == 0) {
    i->second.erase(held);
    detail::shrink_if_sparse(i->second);
  }
}

void access_table::revoke_all(std::uint64_t session, std::uint64_t id) {
  std::lock_guard<std::mutex> guard{mtx_};
  if (auto i = held_.find(session); i != held_.end() && i->second.erase(id) > 0)
    detail::shrink_if_sparse(i->second);
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

std::unordered_set<std::uint64_t> access_table::addressable() const {
  std::lock_guard<std::mutex> guard{mtx_};
  std::unordered_set<std::uint64_t> result;
  for (auto& [session, ids] : held_)
    for (auto& entry : ids)
      result.insert(entry.first);
  return result;
}

std::size_t access_table::held_by(std::uint64_t session) const {
  std::lock_guard<std::mutex> guard{mtx_};
  auto i = held_.find(session);
  return i == held_.end() ? 0 : i->second.size();
}

bool access_table::place(std::uint64_t id, caf::actor object) {
  std::lock_guard<std::mutex> guard{mtx_};
  if (closed_)
    return false;
  objects_.insert_or_assign(id, std::move(object));
  return true;
}

void access_table::close() {
  std::unordered_map<std::uint64_t, caf::actor> left;
  {
    std::lock_guard<std::mutex> guard{mtx_};
    closed_ = true;
    left.swap(objects_);
  }
  for (auto& entry : left)
    caf::anon_send_exit(entry.second, caf::exit_reason::user_shutdown);
}

void access_table::remove(std::uint64_t id) {
  caf::actor gone; // released outside the lock: its last reference may destroy it
  std::lock_guard<std::mutex> guard{mtx_};
  if (auto i = objects_.find(id); i != objects_.end()) {
    gone = std::move(i->second);
    objects_.erase(i);
    detail::shrink_if_sparse(objects_);
  }
}

caf::actor access_table::object(std::uint64_t id) const {
  std::lock_guard<std::mutex> guard{mtx_};
  auto i = objects_.find(id);
  return i == objects_.end() ? caf::actor{} : i->second;
}

} // namespace cafman
