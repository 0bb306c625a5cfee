#include "actors/registry.hpp"

#include <set>

#include <caf/actor_system.hpp>
#include <caf/exit_reason.hpp>
#include <caf/stateful_actor.hpp>
#include <caf/typed_event_based_actor.hpp>

#include "actors/dict.hpp"
#include "actors/list.hpp"
#include "actors/namespace.hpp"
#include "actors/shared_value.hpp"

namespace cafman {

namespace {

struct object_entry {
  std::string type;
  caf::actor handle;
  std::map<caf::actor_addr, std::int64_t> holders; // session -> references
};

using registry_ptr = registry_actor::stateful_pointer<struct registry_state>;

struct registry_state {
  static inline const char* name = "cafman.registry";

  registry_ptr self = nullptr;
  type_table types;
  std::uint64_t next_id = 1;
  std::map<std::uint64_t, object_entry> objects;
  std::map<caf::actor_addr, std::set<std::uint64_t>> sessions; // what each holds

  ~registry_state() { exit_all(); }

  void watch(const caf::actor& session) {
    if (sessions.emplace(session.address(), std::set<std::uint64_t>{}).second)
      self->monitor(session);
  }

  void add_reference(const caf::actor& session, std::uint64_t id) {
    watch(session);
    ++objects.at(id).holders[session.address()];
    sessions[session.address()].insert(id);
  }

  caf::expected<std::uint64_t> create(const caf::actor& session, const std::string& type,
                                      const value& args) {
    auto factory = types.find(type);
    if (factory == types.end())
      return caf::make_error(errc::no_such_type, "the manager has no type id '" + type
                                                   + "' (known: " + known_types() + ")");
    auto handle = factory->second(self->system(), args);
    if (!handle)
      return std::move(handle.error());
    auto id = next_id++;
    objects.emplace(id, object_entry{type, std::move(*handle), {}});
    add_reference(session, id);
    return id;
  }

  std::string known_types() const {
    std::string result;
    for (auto& [name, factory] : types)
      result += (result.empty() ? "" : ", ") + name;
    return result;
  }

  caf::expected<caf::actor> incref(const caf::actor& session, std::uint64_t id) {
    auto entry = objects.find(id);
    if (entry == objects.end())
      return caf::make_error(errc::no_such_object,
                             "object " + std::to_string(id) + " no longer exists");
    add_reference(session, id);
    return entry->second.handle;
  }

  void decref(const caf::actor_addr& session, std::uint64_t id, bool all) {
    auto entry = objects.find(id);
    if (entry == objects.end())
      return;
    auto& holders = entry->second.holders;
    auto held = holders.find(session);
    if (held == holders.end())
      return;
    if (all || --held->second == 0) {
      holders.erase(held);
      sessions[session].erase(id);
    }
    if (holders.empty()) {
      self->send_exit(entry->second.handle, caf::exit_reason::user_shutdown);
      objects.erase(entry);
    }
  }

  // A session that went down (closed or crashed) holds nothing any more.
  void drop_session(const caf::actor_addr& session) {
    auto held = sessions.find(session);
    if (held == sessions.end())
      return;
    auto ids = std::move(held->second);
    sessions.erase(held);
    for (auto id : ids)
      decref(session, id, true);
  }

  value debug_info() const {
    list_value result;
    for (auto& [id, entry] : objects) {
      std::int64_t refcount = 0;
      list_value clients;
      for (auto& [session, count] : entry.holders) {
        refcount += count;
        clients.emplace_back(caf::to_string(session));
      }
      result.emplace_back(dict_value{{"id", static_cast<std::int64_t>(id)},
                                     {"type", entry.type},
                                     {"refcount", refcount},
                                     {"clients", std::move(clients)}});
    }
    return value{std::move(result)};
  }

  void exit_all() {
    for (auto& [id, entry] : objects)
      caf::anon_send_exit(entry.handle, caf::exit_reason::user_shutdown);
    objects.clear();
    sessions.clear();
  }
};

registry_actor::behavior_type make_registry(registry_ptr self, type_table types) {
  auto& st = self->state;
  st.self = self;
  st.types = std::move(types);
  detail::reject_unexpected(self);
  self->set_down_handler([&st](caf::down_msg& down) { st.drop_session(down.source); });
  return {
    [&st](hello_atom, const caf::actor& session) { st.watch(session); },
    [&st](create_atom, const caf::actor& session, const std::string& type,
          const value& args) -> caf::result<std::uint64_t, caf::actor> {
      auto id = st.create(session, type, args);
      if (!id)
        return std::move(id.error());
      return {*id, st.objects.at(*id).handle};
    },
    [&st](incref_atom, const caf::actor& session, std::uint64_t id) {
      return caf::result<caf::actor>{st.incref(session, id)};
    },
    [&st](decref_atom, const caf::actor& session, std::uint64_t id) {
      st.decref(session.address(), id, false);
    },
    [&st](objects_atom) { return static_cast<std::uint64_t>(st.objects.size()); },
    [&st](debug_atom) { return st.debug_info(); },
    [self](shutdown_atom) {
      self->state.exit_all();
      self->quit();
    },
  };
}

} // namespace

type_table builtin_types() {
  return {{"dict", spawn_dict},
          {"list", spawn_list},
          {"namespace", spawn_namespace},
          {"value", spawn_shared_value}};
}

registry_actor spawn_registry(caf::actor_system& sys, type_table types) {
  return sys.spawn(make_registry, std::move(types));
}

} // namespace cafman
