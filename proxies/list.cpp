#include "proxies/list.hpp"

#include "proxies/proxy_access.hpp"

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
  return {proxy_access::call(*this, iter_atom_v).get<iterator_proxy>(), batch};
}

list_actor list_proxy::actor() const {
  return caf::actor_cast<list_actor>(proxy_access::ref(*this)->handle());
}

} // namespace cafman
