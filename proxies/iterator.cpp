#include "cafman/proxies/iterator.hpp"

#include "cafman/proxies/proxy_access.hpp"

#include <memory>
#include <optional>

#include "cafman/errors.hpp"

namespace cafman {

using detail::proxy_access;

iterator_proxy::iterator_proxy(std::shared_ptr<detail::object_ref> ref,
                               std::chrono::milliseconds timeout)
    : basic_proxy(std::move(ref), timeout) {}

list_value iterator_proxy::next(std::int64_t n) const {
  return proxy_access::call(*this, next_atom_v, n).as_list();
}

std::size_t iterator_proxy::remaining() const {
  return static_cast<std::size_t>(proxy_access::call(*this, len_atom_v));
}

iterator_actor iterator_proxy::actor() const {
  return caf::actor_cast<iterator_actor>(proxy_access::ref(*this)->handle());
}

} // namespace cafman

namespace cafman::detail {

batch_source snapshot_walk(iterator_proxy source) {
  return [source](std::int64_t n) { return source.next(n); };
}

batch_source live_walk(std::function<value(const value& cursor, std::int64_t n)> request,
                       std::string what) {
  struct walk_state {
    value cursor = list_value{};
    std::optional<std::int64_t> size; // as the first batch found it
  };
  auto st = std::make_shared<walk_state>();
  return [st, request = std::move(request), what = std::move(what)](std::int64_t n) {
    auto reply = request(st->cursor, n);
    auto& parts = reply.as_list();
    auto size = parts.at(0).as_int();
    if (st->size && *st->size != size)
      throw iteration_error(what + " changed size during iteration (from " +
                            std::to_string(*st->size) + " to " + std::to_string(size) +
                            " items); walk a snapshot (iter_snapshot) to allow changes");
    st->size = size;
    st->cursor = std::move(parts.at(2));
    return std::move(parts.at(1).as_list());
  };
}

} // namespace cafman::detail
