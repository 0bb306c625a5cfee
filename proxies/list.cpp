#include "cafman/proxies/list.hpp"

#include "cafman/proxies/proxy_access.hpp"

#include <limits>
#include <memory>
#include <string>

#include "cafman/errors.hpp"
#include "cafman/proxies/dict.hpp"
#include "cafman/proxies/set.hpp"

namespace cafman {

using detail::bound;
using detail::proxy_access;

list_proxy::list_proxy(std::shared_ptr<detail::object_ref> ref, std::chrono::milliseconds timeout)
    : basic_proxy(std::move(ref), timeout) {}

value list_proxy::get(std::int64_t index) const {
  return proxy_access::call(*this, get_atom_v, index);
}

void list_proxy::set(std::int64_t index, const value& v) const {
  proxy_access::call(*this, put_atom_v, index, v);
}

void list_proxy::erase(std::int64_t index) const {
  proxy_access::call(*this, delete_atom_v, index);
}

list_value list_proxy::get(const slice& s) const {
  return proxy_access::call(*this, get_atom_v, slice_atom_v, bound(s.start), bound(s.stop),
                                   bound(s.step))
      .as_list();
}

void list_proxy::set(const slice& s, const list_value& items) const {
  proxy_access::call(*this, put_atom_v, slice_atom_v, bound(s.start), bound(s.stop),
                           bound(s.step), value{items});
}

void list_proxy::erase(const slice& s) const {
  proxy_access::call(*this, delete_atom_v, slice_atom_v, bound(s.start), bound(s.stop),
                           bound(s.step));
}

void list_proxy::append(const value& v) const {
  proxy_access::call(*this, append_atom_v, v);
}

void list_proxy::extend(const list_value& items) const {
  proxy_access::call(*this, extend_atom_v, value{items});
}

void list_proxy::insert(std::int64_t index, const value& v) const {
  proxy_access::call(*this, insert_atom_v, index, v);
}

value list_proxy::pop(std::int64_t index) const {
  return proxy_access::call(*this, pop_atom_v, index);
}

void list_proxy::remove(const value& v) const {
  proxy_access::call(*this, remove_atom_v, v);
}

std::int64_t list_proxy::index(const value& v, std::optional<std::int64_t> start,
                               std::optional<std::int64_t> stop) const {
  return proxy_access::call(*this, index_atom_v, v, bound(start), bound(stop));
}

std::int64_t list_proxy::count(const value& v) const {
  return proxy_access::call(*this, count_atom_v, v);
}

void list_proxy::reverse() const {
  proxy_access::call(*this, reverse_atom_v);
}

void list_proxy::sort(bool descending) const {
  proxy_access::call(*this, sort_atom_v, descending);
}

const list_proxy& list_proxy::operator+=(const list_value& items) const {
  extend(items);
  return *this;
}

const list_proxy& list_proxy::operator*=(std::int64_t times) const {
  proxy_access::call(*this, repeat_atom_v, times);
  return *this;
}

bool list_proxy::contains(const value& v) const {
  return proxy_access::call(*this, contains_atom_v, v);
}

std::size_t list_proxy::size() const {
  return static_cast<std::size_t>(proxy_access::call(*this, len_atom_v));
}

void list_proxy::clear() const {
  proxy_access::call(*this, clear_atom_v);
}

list_value list_proxy::copy() const {
  return proxy_access::call(*this, copy_atom_v).as_list();
}

batched_range<value> list_proxy::iter(std::int64_t batch) const {
  auto next_index = std::make_shared<std::int64_t>(0);
  auto by_index = [l = *this, next_index](std::int64_t n) {
    if (n <= 0)
      throw value_error("an iteration's batch size must be positive, got " + std::to_string(n));
    auto stop = n < std::numeric_limits<std::int64_t>::max() - *next_index
                    ? std::optional<std::int64_t>{*next_index + n}
                    : std::nullopt;
    auto items = l.get(slice{*next_index, stop, std::nullopt});
    *next_index += static_cast<std::int64_t>(items.size());
    return items;
  };
  return {by_index, batch};
}

batched_range<value> list_proxy::iter_snapshot(std::int64_t batch) const {
  auto source = proxy_access::call(*this, iter_atom_v).get<iterator_proxy>();
  return {detail::snapshot_walk(source), batch};
}

dict_proxy list_proxy::dict_at(std::int64_t index) const {
  return get(index).get<dict_proxy>();
}

list_proxy list_proxy::list_at(std::int64_t index) const {
  return get(index).get<list_proxy>();
}

set_proxy list_proxy::set_at(std::int64_t index) const {
  return get(index).get<set_proxy>();
}

list_value operator+(const list_proxy& l, const list_value& items) {
  auto result = l.copy();
  result.insert(result.end(), items.begin(), items.end());
  return result;
}

list_value operator+(const list_value& items, const list_proxy& l) {
  auto result = items;
  auto tail = l.copy();
  result.insert(result.end(), tail.begin(), tail.end());
  return result;
}

list_value operator*(const list_proxy& l, std::int64_t times) {
  auto once = l.copy();
  list_value result;
  for (std::int64_t i = 0; i < times; ++i)
    result.insert(result.end(), once.begin(), once.end());
  return result;
}

list_value operator*(std::int64_t times, const list_proxy& l) {
  return l * times;
}

list_actor list_proxy::actor() const {
  return caf::actor_cast<list_actor>(proxy_access::ref(*this)->handle());
}

} // namespace cafman
