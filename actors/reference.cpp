#include "cafman/actors/reference.hpp"

#include <caf/actor_system.hpp>
#include <caf/send.hpp>

#include <atomic>
#include <utility>

namespace cafman {

namespace {

// One hold of the manager on one object. Every copy of a value shares it;
// the last one to go sends the decref.
class manager_hold : public reference_keeper {
public:
  manager_hold(const registry_actor& registry, std::uint64_t id)
      : registry_(registry.address()), id_(id) {}

  ~manager_hold() override {
    // Weak: a value outliving its registry (at shutdown) has nothing to drop.
    if (auto registry = caf::actor_cast<registry_actor>(registry_))
      caf::anon_send(registry, decref_atom_v, caller{manager_session, 0}, id_);
  }

  // Whether no object reported this hold before in collection round
  // `round`: copies of it in several objects count once.
  bool first_in(std::uint64_t round) const { return last_round_.exchange(round) != round; }

private:
  caf::actor_addr registry_;
  std::uint64_t id_;
  // Atomic: objects on different threads may hold copies of one reference.
  mutable std::atomic<std::uint64_t> last_round_{0};
};

} // namespace

caf::error manager_binder::on_write(const object_reference& ref) {
  if (reader_ == manager_session)
    return caf::none;
  // The reader may address the object as soon as these bytes reach it, long
  // before the registry reads the incref below.
  access_->grant(reader_, ref.id());
  // Sent before the value that holds the object can go: the registry sees
  // the reader's reference before the manager's hold is dropped.
  caf::anon_send(registry_, incref_atom_v, caller{reader_, 0}, ref.id());
  return caf::none;
}

std::shared_ptr<const reference_keeper> manager_binder::on_read(std::uint64_t id,
                                                                const std::string&) {
  if (reader_ != manager_session && !access_->allows(reader_, id)) {
    if (!refusal_)
      refusal_ = caf::make_error(errc::no_such_object,
                                 "object " + std::to_string(id) + " no longer exists");
    return nullptr; // a bare id: the frame carrying it is refused as a whole
  }
  // The sender holds the object until our reply, and this incref is in the
  // registry's mailbox before that reply is even written.
  caf::anon_send(registry_, incref_atom_v, caller{manager_session, 0}, id);
  return std::make_shared<manager_hold>(registry_, id);
}

caf::error manager_binder::take_refusal() {
  return std::exchange(refusal_, caf::error{});
}

value adopt_hold(const registry_actor& registry, std::uint64_t id, std::string type_id) {
  return object_reference{id, std::move(type_id), std::make_shared<manager_hold>(registry, id)};
}

value manage(const object_home& home, const caf::actor& object, std::string type_id) {
  // Findable by the lean path at once: the client may call it as soon as the
  // reply that carries the reference reaches it, before the registry has
  // read the message below. A registry that is gone, or ended since (it
  // closed the table), would never exit the object.
  auto registry = caf::actor_cast<registry_actor>(home.registry);
  if (!registry || (home.access && !home.access->place(object->id(), object))) {
    caf::anon_send_exit(object, caf::exit_reason::user_shutdown);
    return object_reference{object->id(), std::move(type_id)};
  }
  // In the registry's mailbox before anything the reference causes there.
  caf::anon_send(registry, manage_atom_v, object, type_id);
  return adopt_hold(registry, object->id(), std::move(type_id));
}

reference_census& reference_census::add(const value& x) {
  if (x.is_list()) {
    add_all(x.as_list());
  } else if (x.is_dict()) {
    add_all(x.as_dict());
  } else if (x.is_reference()) {
    auto& ref = x.as_reference();
    auto& holds = found_[ref.id()]; // an edge even if another object counted the hold
    if (auto hold = dynamic_cast<const manager_hold*>(ref.keeper().get());
        hold != nullptr && hold->first_in(round_))
      ++holds;
  }
  return *this;
}

reference_census& reference_census::add_all(const dict_value& xs) {
  for (const auto& [key, item] : xs) {
    add(key);
    add(item);
  }
  return *this;
}

value reference_census::result() const {
  dict_value result;
  for (auto& [id, holds] : found_)
    result.insert_or_assign(value{static_cast<std::int64_t>(id)}, value{holds});
  return value{std::move(result)};
}

} // namespace cafman
