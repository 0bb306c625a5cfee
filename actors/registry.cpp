#include "cafman/actors/registry.hpp"

#include <algorithm>
#include <chrono>
#include <cstring>
#include <deque>
#include <optional>
#include <random>
#include <fstream>
#include <memory>
#include <set>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

#include <unistd.h>

#include <caf/actor_system.hpp>
#include <caf/local_actor.hpp>
#include <caf/exit_reason.hpp>
#include <caf/stateful_actor.hpp>
#include <caf/typed_event_based_actor.hpp>

#include "cafman/actors/array.hpp"
#include "cafman/actors/barrier.hpp"
#include "cafman/actors/collector.hpp"
#include "cafman/actors/condition.hpp"
#include "cafman/actors/dict.hpp"
#include "cafman/actors/event.hpp"
#include "cafman/actors/hash_tables.hpp"
#include "cafman/actors/list.hpp"
#include "cafman/actors/lock.hpp"
#include "cafman/actors/namespace.hpp"
#include "cafman/actors/placement.hpp"
#include "cafman/actors/queue.hpp"
#include "cafman/actors/semaphore.hpp"
#include "cafman/actors/set.hpp"
#include "cafman/actors/shared_value.hpp"
#include "cafman/interfaces/kinds.hpp"
#include "cafman/version.hpp"

namespace cafman {

namespace {

// Ends of objects a session was not told of yet, at most: a session that
// never asks (no actor stubs) must not make the registry grow.
constexpr std::size_t max_untold_ends = 4096;

// Who holds an object, and how many references each. Almost every object
// has one holder, kept in place: a vector or a map of them cost each object
// 32 to 100 bytes more, and the entry stays within malloc's 64-byte blocks.
// A second holder moves them all to the heap; a lookup is a scan, so an
// object held by thousands of sessions at once pays that many comparisons
// when a reference to it is taken or dropped.
class holder_counts {
public:
  using holder = std::pair<caf::actor_addr, std::int64_t>;

  holder* begin() { return more_ ? more_->data() : &one_; }
  holder* end() { return more_ ? more_->data() + more_->size() : &one_ + (one_.first ? 1 : 0); }
  const holder* begin() const { return const_cast<holder_counts*>(this)->begin(); }
  const holder* end() const { return const_cast<holder_counts*>(this)->end(); }
  bool empty() const { return begin() == end(); }

  holder* find(const caf::actor_addr& who) {
    return std::find_if(begin(), end(), [&](const holder& x) { return x.first == who; });
  }

  void add(const caf::actor_addr& who) {
    if (empty()) {
      one_ = {who, 1};
      return;
    }
    if (!more_) {
      more_ = std::make_unique<std::vector<holder>>();
      more_->push_back(std::exchange(one_, holder{}));
    }
    more_->emplace_back(who, 1);
  }

  void erase(holder* which) {
    if (!more_) {
      one_ = holder{};
      return;
    }
    more_->erase(more_->begin() + (which - more_->data()));
    if (more_->size() == 1) { // back in place, the heap's blocks freed
      one_ = std::move(more_->front());
      more_.reset();
    }
  }

private:
  holder one_;                                // the only holder, unless more_
  std::unique_ptr<std::vector<holder>> more_; // all of them, once there are two
};

// The registry's entry of an object. Its kind points into the registry's
// set of kind names: an object does not carry a string of its own.
struct object_entry {
  const std::string* type;
  caf::actor handle;
  holder_counts holders;
};

// The manager process's resident memory, from /proc (0 where there is none).
std::int64_t resident_bytes() {
  std::ifstream statm{"/proc/self/statm"};
  std::int64_t pages = 0;
  std::int64_t resident = 0;
  if (!(statm >> pages >> resident))
    return 0;
  return resident * ::sysconf(_SC_PAGESIZE);
}

struct registry_state;

// The registry runs where the objects do, on the I/O thread (actors/
// placement.hpp): a create or a release from the lean broker then reaches it,
// and the new object, without a thread hop or a wake-up.
using registry_ptr = detail::object_self_t<registry_actor, registry_state>;

struct registry_state {
  static inline const char* name = "cafman.registry";

  registry_ptr self = nullptr;
  type_table types;
  std::shared_ptr<access_table> access;
  std::shared_ptr<const object_home> home; // the access table and the objects' limits
  std::unordered_map<std::uint64_t, object_entry> objects;
  std::set<std::string> kinds; // what object_entry::type points to
  value cluster_map; // opaque here: the net layer's (net/cluster.hpp)
  // A holder is a client session or an object holding another (a condition
  // its lock); only client sessions get a number.
  struct holder_entry {
    std::uint64_t number = 0;
    std::unordered_set<std::uint64_t> held;
    std::string peer; // where a client session came from
    std::chrono::system_clock::time_point since = std::chrono::system_clock::now();
    // Objects that ended on their own while this session held them, until
    // it asks (news_atom); the oldest go past max_untold_ends.
    std::deque<std::uint64_t> ended{};

    void forget(std::uint64_t id) {
      held.erase(id);
      detail::shrink_if_sparse(held);
    }
  };
  std::map<caf::actor_addr, holder_entry> sessions;
  std::map<std::uint64_t, caf::actor> numbered; // client sessions by number
  std::uint64_t next_session = manager_session + 1;
  // Published names; each one is a hold of the manager on its object.
  std::map<std::string, std::uint64_t> names;
  // The cycle collector (actors/collector.hpp): the round under way, who
  // waits for its end, who waits for a round that starts after their call.
  std::optional<detail::collection_round> round;
  std::vector<caf::response_promise> round_waiters;
  std::vector<caf::response_promise> next_round_waiters;
  bool collection_scheduled = false;
  std::mt19937_64 round_numbers{std::random_device{}()};
  std::chrono::steady_clock::time_point started = std::chrono::steady_clock::now();
  caf::actor call_counter; // the lean broker, if the server has one

  ~registry_state() { exit_all(); }

  // The manager's own holds are counted like a session's, under the
  // registry's address, which never goes down while objects exist.
  void init(registry_ptr ptr, type_table table, std::shared_ptr<access_table> table_of_access,
            object_limits object_limits) {
    self = ptr;
    types = std::move(table);
    access = table_of_access ? std::move(table_of_access) : std::make_shared<access_table>();
    home = std::make_shared<object_home>(object_home{self->address(), access, object_limits});
    sessions.emplace(self->address(), holder_entry{manager_session, {}, "manager"});
  }

  const std::string* kind_named(const std::string& type) {
    return &*kinds.insert(type).first;
  }

  holder_entry& watch(const caf::actor& session) {
    auto [entry, added] = sessions.emplace(session.address(), holder_entry{});
    if (added)
      self->monitor(session);
    return entry->second;
  }

  std::uint64_t hello(const caf::actor& session, const std::string& peer) {
    auto& entry = watch(session);
    if (entry.number == 0) {
      entry.number = next_session++;
      entry.peer = peer;
      numbered.emplace(entry.number, session);
    }
    return entry.number;
  }

  caf::expected<caf::actor> session_actor(std::uint64_t number) const {
    auto found = numbered.find(number);
    if (found == numbered.end())
      return caf::make_error(errc::cancelled,
                             "client session " + std::to_string(number) + " has ended");
    return found->second;
  }

  // Runs `f` with the actor of session `number`; a session that has ended
  // holds nothing, and its calls fail.
  template <class F>
  auto by_number(std::uint64_t number, F f) -> decltype(f(std::declval<caf::actor&>())) {
    auto session = number == manager_session
                       ? caf::expected<caf::actor>{caf::actor_cast<caf::actor>(self)}
                       : session_actor(number);
    if (!session)
      return std::move(session.error());
    return f(*session);
  }

  // `granted`: the access table counted it already (a reference a reply
  // carried, see actors/reference.cpp).
  void add_reference(const caf::actor& session, std::uint64_t id, bool granted = false) {
    auto& holder = watch(session);
    holder.held.insert(id);
    if (holder.number != manager_session && !granted)
      access->grant(holder.number, id);
    auto& holders = objects.at(id).holders;
    if (auto held = holders.find(session.address()); held != holders.end())
      ++held->second;
    else
      holders.add(session.address());
    if (round)
      round->touched(id);
  }

  // Whether `session` may use object `id` (as an argument, a name's target):
  // only what it holds, as on the lean path.
  bool holds(const caf::actor& session, std::uint64_t id) const {
    auto holder = sessions.find(session.address());
    return holder != sessions.end() && holder->second.held.count(id) > 0;
  }

  caf::error too_many_objects(const holder_entry& holder) const {
    return caf::make_error(errc::limit_exceeded,
                           "client session " + std::to_string(holder.number) + " already holds " +
                               std::to_string(holder.held.size()) +
                               " objects, the most the manager allows one client "
                               "(max_objects_per_session): drop some proxies first");
  }

  caf::expected<std::uint64_t> create(const caf::actor& session, const std::string& type,
                                      const value& args) {
    auto factory = types.find(type);
    if (factory == types.end())
      return caf::make_error(errc::no_such_type, "the manager has no type id '" + type +
                                                     "' (known: " + known_types() + ")");
    if (auto& holder = watch(session);
        holder.number != manager_session
        && holder.held.size() >= home->limits.max_objects_per_session)
      return too_many_objects(holder);
    std::vector<std::uint64_t> held;
    object_context ctx{
        self->system(), caf::actor_cast<caf::actor>(self),
        [&](std::uint64_t id, const std::vector<std::string>& kinds) -> caf::expected<caf::actor> {
          auto entry = objects.find(id);
          if (entry == objects.end() || !holds(session, id))
            return missing(id);
          auto& kind = *entry->second.type;
          if (std::find(kinds.begin(), kinds.end(), kind) == kinds.end())
            return caf::make_error(errc::type_mismatch, type + " cannot use object " +
                                                            std::to_string(id) + ": it is a " +
                                                            kind);
          held.push_back(id);
          return entry->second.handle;
        },
        home};
    auto handle = factory->second(ctx, args);
    if (!handle)
      return std::move(handle.error());
    if (ctx.may_end())
      self->monitor(*handle); // see object_ended
    // The object's id is its actor id: the lean path addresses it by that,
    // finding it in the access table.
    auto id = (*handle)->id();
    access->place(id, *handle);
    objects.emplace(id, object_entry{kind_named(type), *handle, {}});
    add_reference(session, id);
    for (auto held_id : held)
      add_reference(*handle, held_id); // dropped by the new object's DOWN
    return id;
  }

  static caf::error missing(std::uint64_t id) {
    return caf::make_error(errc::no_such_object,
                           "object " + std::to_string(id) + " no longer exists");
  }

  std::string known_types() const {
    std::string result;
    for (auto& [name, factory] : types)
      result += (result.empty() ? "" : ", ") + name;
    return result;
  }

  // In-process users (tests, the server's own parts) take references to
  // anything; a client session only to what a reply carried to it, which
  // the access table counted already (`from_reply`).
  caf::expected<caf::actor> incref(const caf::actor& session, std::uint64_t id,
                                   bool from_reply) {
    auto entry = objects.find(id);
    if (entry == objects.end()) {
      // A reply carried a reference to an object that ended on its own
      // since: the access table counted it as the reply was written.
      if (auto holder = sessions.find(session.address());
          from_reply && holder != sessions.end() && holder->second.number != manager_session)
        access->revoke(holder->second.number, id);
      return missing(id);
    }
    auto& holder = watch(session);
    if (from_reply && holder.number != manager_session && !access->allows(holder.number, id))
      return missing(id); // never given to this session: as if it never existed
    add_reference(session, id, from_reply);
    return entry->second.handle;
  }

  // A reference of `session` to an object that session `donor` holds.
  caf::expected<std::string> adopt(const caf::actor& session, std::uint64_t id,
                                   std::uint64_t donor) {
    if (objects.count(id) == 0 || !access->allows(donor, id))
      return missing(id);
    add_reference(session, id);
    return *objects.at(id).type;
  }

  void manage(const caf::actor& object, const std::string& type) {
    auto id = object->id();
    access->place(id, object); // again: reference.cpp's manage() placed it before telling us
    objects.emplace(id, object_entry{kind_named(type), object, {}});
    add_reference(caf::actor_cast<caf::actor>(self), id);
  }

  caf::expected<caf::actor> handle_of(std::uint64_t id) const {
    auto entry = objects.find(id);
    if (entry == objects.end())
      return missing(id);
    return entry->second.handle;
  }

  // The actor the manager's own holds are counted under.
  caf::actor manager_holder() const { return caf::actor_cast<caf::actor>(self); }

  caf::error name_taken(const std::string& name) const {
    auto id = names.at(name);
    return caf::make_error(errc::bad_argument,
                           "the name '" + name + "' is already published (object " +
                               std::to_string(id) + ", a " + *objects.at(id).type +
                               "): unpublish it first or choose another name");
  }

  caf::error unknown_name(const std::string& name) const {
    std::string published;
    for (auto& entry : names)
      published += (published.empty() ? "" : ", ") + entry.first;
    return caf::make_error(
        errc::key_not_found,
        "no object is published as '" + name + "' (" +
            (published.empty() ? "nothing is published" : "published: " + published) + ")");
  }

  caf::expected<std::uint64_t> publish(const std::string& name, const std::string& type,
                                       const value& args) {
    if (names.count(name) > 0)
      return name_taken(name); // checked first: a refused name creates nothing
    auto id = create(manager_holder(), type, args);
    if (id)
      names.emplace(name, *id);
    return id;
  }

  caf::expected<void> publish(const caf::actor& session, const std::string& name,
                              std::uint64_t id) {
    if (names.count(name) > 0)
      return name_taken(name);
    if (objects.count(id) == 0 || !holds(session, id))
      return missing(id);
    add_reference(manager_holder(), id);
    names.emplace(name, id);
    return {};
  }

  // The named object and its type id, with one more reference of `session`.
  caf::expected<std::uint64_t> lookup(const caf::actor& session, const std::string& name) {
    auto found = names.find(name);
    if (found == names.end())
      return unknown_name(name);
    add_reference(session, found->second);
    return found->second;
  }

  caf::expected<std::uint64_t> lookup_or_create(const caf::actor& session, const std::string& name,
                                                const std::string& type, const value& args) {
    if (auto found = names.find(name); found != names.end()) {
      auto& kind = *objects.at(found->second).type;
      if (kind != type)
        return caf::make_error(errc::type_mismatch, "the object published as '" + name +
                                                        "' is a '" + kind + "', not a '" + type +
                                                        "'");
    } else if (auto id = publish(name, type, args); !id) {
      return std::move(id.error());
    }
    return lookup(session, name);
  }

  caf::expected<void> unpublish(const std::string& name) {
    auto found = names.find(name);
    if (found == names.end())
      return unknown_name(name);
    auto id = found->second;
    names.erase(found);
    decref(self->address(), id, false); // clients' references keep it alive
    schedule_collection(); // ... or only a cycle through it
    return {};
  }

  // The reply to a lookup for session `number`: the object's id and type id.
  template <class F>
  caf::result<std::uint64_t, std::string> lookup_reply(std::uint64_t number, F f) {
    auto id = by_number(number, f);
    if (!id)
      return std::move(id.error());
    return {*id, *objects.at(*id).type};
  }

  void decref(const caf::actor_addr& session, std::uint64_t id, bool all) {
    auto entry = objects.find(id);
    if (entry == objects.end())
      return;
    if (round)
      round->touched(id);
    auto& holders = entry->second.holders;
    auto held = holders.find(session);
    if (held == holders.end())
      return;
    auto holder = sessions.find(session); // gone already while drop_session runs
    if (!all && holder != sessions.end())
      access->revoke(holder->second.number, id);
    if (all || --held->second == 0) {
      holders.erase(held);
      if (holder != sessions.end())
        holder->second.forget(id);
    }
    if (holders.empty())
      let_go(entry);
    else if (session != self->address())
      schedule_collection(); // what still holds it may be a cycle
  }

  // A watched object ended on its own (it was let go before otherwise): the
  // manager forgets it, its names and its holds, and each client session
  // that held it hears of it when it asks (news).
  bool object_ended(const caf::actor_addr& source) {
    auto entry = objects.find(source.id());
    if (entry == objects.end() || entry->second.handle.address() != source)
      return false;
    auto id = entry->first;
    for (auto& [holder_addr, count] : entry->second.holders) {
      auto holder = sessions.find(holder_addr);
      if (holder == sessions.end())
        continue;
      holder->second.forget(id);
      if (holder->second.number == manager_session || holder->second.number == 0)
        continue; // the manager's own hold, or an object's
      access->revoke_all(holder->second.number, id);
      auto& ended = holder->second.ended;
      ended.push_back(id);
      if (ended.size() > max_untold_ends)
        ended.pop_front();
    }
    for (auto name = names.begin(); name != names.end();)
      name = name->second == id ? names.erase(name) : std::next(name);
    if (round)
      round->touched(id);
    access->remove(id);
    objects.erase(entry);
    detail::shrink_if_sparse(objects);
    return true;
  }

  value news(const caf::actor& session) {
    list_value ids;
    auto holder = sessions.find(session.address());
    if (holder != sessions.end()) {
      for (auto id : holder->second.ended)
        ids.emplace_back(static_cast<std::int64_t>(id));
      holder->second.ended.clear();
    }
    return value{std::move(ids)};
  }

  // Nothing holds the object any more: it exits, and no call reaches it.
  void let_go(std::unordered_map<std::uint64_t, object_entry>::iterator entry) {
    self->send_exit(entry->second.handle, caf::exit_reason::user_shutdown);
    access->remove(entry->first);
    objects.erase(entry);
    detail::shrink_if_sparse(objects);
  }

  // -- the cycle collector ----------------------------------------------------

  // A round some time after the last reference from outside a group of
  // objects may have gone; the delay grows with the objects a round asks,
  // so churn costs the manager a bounded share of its time.
  void schedule_collection() {
    if (collection_scheduled)
      return;
    collection_scheduled = true;
    auto delay = std::chrono::milliseconds{200} +
                 std::chrono::microseconds{20} * static_cast<std::int64_t>(objects.size());
    caf::delayed_anon_send(caf::actor_cast<caf::actor>(self), delay, collect_atom_v);
  }

  void collect(caf::response_promise waiter) {
    if (!round) {
      round_waiters.push_back(std::move(waiter));
      start_round();
    } else {
      next_round_waiters.push_back(std::move(waiter)); // the running round began before
    }
  }

  void start_round() {
    collection_scheduled = false;
    std::set<std::uint64_t> ids;
    for (auto& entry : objects)
      ids.insert(entry.first);
    round.emplace(round_numbers(), std::move(ids));
    if (round->complete())
      return end_round();
    auto number = round->number();
    std::vector<std::uint64_t> opaque; // a user's actor type could only print "unexpected"
    for (auto id : round->scanned()) {
      auto& handle = objects.at(id).handle;
      if (!cafman_object(handle)) {
        opaque.push_back(id);
        continue;
      }
      self->request(handle, std::chrono::seconds{5}, refs_atom_v, number)
        .then([this, id, number](value& refs) { report(number, id, &refs); },
              [this, id, number](caf::error&) { report(number, id, nullptr); });
    }
    for (auto id : opaque) // last: this may end the round
      report(number, id, nullptr);
  }

  // Whether `object` is one of cafman's own actors (named "cafman.*" by
  // their state), which answer what they do not know with an error.
  static bool cafman_object(const caf::actor& object) {
    auto actor = caf::actor_cast<caf::abstract_actor*>(object);
    auto name = static_cast<caf::local_actor*>(actor)->name(); // objects are local
    return std::strncmp(name, "cafman.", 7) == 0;
  }

  void report(std::uint64_t number, std::uint64_t id, const value* refs) {
    if (!round || round->number() != number)
      return;
    round->reported(id, refs);
    if (round->complete())
      end_round();
  }

  void end_round() {
    auto garbage = round->unreachable(holds_of_objects());
    round.reset();
    for (auto id : garbage)
      free_unreachable(id);
    for (auto& waiter : round_waiters)
      waiter.deliver(static_cast<std::uint64_t>(garbage.size()));
    round_waiters.clear();
    if (!next_round_waiters.empty()) {
      round_waiters = std::exchange(next_round_waiters, {});
      start_round();
    }
  }

  std::map<std::uint64_t, detail::object_holds> holds_of_objects() const {
    auto object_at = objects_by_address();
    std::set<std::uint64_t> named;
    for (auto& entry : names)
      named.insert(entry.second);
    auto addressable = access->addressable();
    std::map<std::uint64_t, detail::object_holds> result;
    for (auto& [id, entry] : objects) {
      auto& holds = result[id];
      holds.held_elsewhere = named.count(id) > 0 || addressable.count(id) > 0;
      for (auto& [holder, count] : entry.holders) {
        if (holder == self->address())
          holds.manager_holds += count;
        else if (auto object = object_at.find(holder); object != object_at.end())
          holds.held_by_objects.push_back(object->second);
        else
          holds.held_elsewhere = true; // a session
      }
    }
    return result;
  }

  // Its holders are garbage too, or the manager's holds in garbage values.
  void free_unreachable(std::uint64_t id) {
    auto entry = objects.find(id);
    for (auto& holder : entry->second.holders)
      if (auto session = sessions.find(holder.first); session != sessions.end())
        session->second.forget(id);
    let_go(entry);
  }

  // A session that went down (closed or crashed) holds nothing any more.
  void drop_session(const caf::actor_addr& session) {
    auto held = sessions.find(session);
    if (held == sessions.end())
      return;
    auto ids = std::move(held->second.held);
    numbered.erase(held->second.number);
    access->forget(held->second.number);
    sessions.erase(held);
    for (auto id : ids)
      decref(session, id, true);
  }

  // A holder as an operator reads it: a client session's number, the
  // manager itself, the object holding it, or an in-process user's actor.
  value holder_name(const caf::actor_addr& holder,
                    const std::map<caf::actor_addr, std::uint64_t>& object_at) const {
    if (holder == self->address())
      return value{"manager"};
    if (auto object = object_at.find(holder); object != object_at.end())
      return value{"object " + std::to_string(object->second)};
    if (auto session = sessions.find(holder); session != sessions.end() && session->second.number)
      return value{static_cast<std::int64_t>(session->second.number)};
    return value{caf::to_string(holder)};
  }

  std::map<caf::actor_addr, std::uint64_t> objects_by_address() const {
    std::map<caf::actor_addr, std::uint64_t> result;
    for (auto& [id, entry] : objects)
      result.emplace(entry.handle.address(), id);
    return result;
  }

  value debug_info() const {
    std::map<std::uint64_t, list_value> names_of;
    for (auto& [name, id] : names)
      names_of[id].emplace_back(name);
    auto object_at = objects_by_address();
    std::vector<std::uint64_t> ids; // listed in the order they were made
    for (auto& entry : objects)
      ids.push_back(entry.first);
    std::sort(ids.begin(), ids.end());
    list_value result;
    for (auto id : ids) {
      auto& entry = objects.at(id);
      std::int64_t refcount = 0;
      list_value holders;
      for (auto& [holder, count] : entry.holders) {
        refcount += count;
        holders.emplace_back(holder_name(holder, object_at));
      }
      dict_value info{{"id", static_cast<std::int64_t>(id)},
                      {"type", *entry.type},
                      {"refcount", refcount},
                      {"holders", std::move(holders)}};
      if (auto named = names_of.find(id); named != names_of.end())
        info["names"] = std::move(named->second);
      result.emplace_back(std::move(info));
    }
    return value{std::move(result)};
  }

  // A wait of `session` on the sending object ended by its deadline. Only
  // cafman's own objects of this process are believed: those of the
  // registry and those they keep for themselves (a condition's own lock).
  void count_timeout(std::uint64_t session) {
    auto& sender = self->current_sender();
    if (!sender || !call_counter || sender->node() != self->node())
      return;
    auto object = caf::actor_cast<caf::actor>(sender);
    if (!cafman_object(object))
      return;
    caf::send_as(caf::actor_cast<caf::actor>(self), call_counter, timed_out_atom_v, session,
                 object);
  }

  // Answers complete(counts), with the call counter's counts (None without
  // one, or when it does not answer).
  template <class F>
  caf::result<value> with_call_counts(F complete) {
    if (!call_counter)
      return complete(value{});
    auto promise = self->make_response_promise();
    self->request(call_counter, std::chrono::seconds{5}, stats_atom_v)
      .then([promise, complete](value& counts) mutable { promise.deliver(complete(counts)); },
            [promise, complete](caf::error&) mutable { promise.deliver(complete(value{})); });
    return promise;
  }

  static value item_or_none(const value& dict, const value& key) {
    if (!dict.is_dict())
      return value{};
    auto found = dict.as_dict().find(key);
    return found ? *found : value{};
  }

  // debug_info(), each of cafman's objects asked for its "size" (len, or a
  // queue's qsize) and "waiting" (calls waiting on it) where it has them.
  caf::result<value> measured_debug_info() {
    auto info = std::make_shared<value>(debug_info());
    auto pending = std::make_shared<std::size_t>(0);
    auto promise = self->make_response_promise();
    auto done = [info, pending, promise]() mutable {
      if (--*pending == 0)
        promise.deliver(*info);
    };
    auto ask = [&](const caf::actor& object, std::size_t at, const char* key, auto... msg) {
      ++*pending;
      self->request(object, std::chrono::seconds{5}, msg...)
        .then(
          [info, at, key, done](std::int64_t n) mutable {
            info->as_list()[at].as_dict().insert_or_assign(value{key}, value{n});
            done();
          },
          [done](caf::error&) mutable { done(); }); // it has none
    };
    ++*pending; // until every request is out
    auto& entries = info->as_list();
    for (std::size_t at = 0; at < entries.size(); ++at) {
      auto& entry = objects.at(static_cast<std::uint64_t>(entries[at].as_dict().at("id").as_int()));
      if (!cafman_object(entry.handle))
        continue;
      auto queue = *entry.type == queue_type_id || *entry.type == joinable_queue_type_id;
      if (queue)
        ask(entry.handle, at, "size", qsize_atom_v);
      else
        ask(entry.handle, at, "size", len_atom_v);
      ask(entry.handle, at, "waiting", n_waiting_atom_v);
    }
    done();
    return promise;
  }

  value info(const value& counts) const {
    std::map<std::string, std::int64_t> counted;
    for (auto& entry : objects)
      ++counted[*entry.second.type];
    dict_value by_type;
    for (auto& [type, count] : counted)
      by_type.insert_or_assign(value{type}, value{count});
    auto uptime = std::chrono::duration<double>(std::chrono::steady_clock::now() - started);
    dict_value result{{"version", cafman::version()},
                      {"pid", static_cast<std::int64_t>(::getpid())},
                      {"uptime_seconds", uptime.count()},
                      {"clients", static_cast<std::int64_t>(numbered.size())},
                      {"objects", static_cast<std::int64_t>(objects.size())},
                      {"objects_by_type", std::move(by_type)},
                      {"names", static_cast<std::int64_t>(names.size())},
                      {"memory_bytes", resident_bytes()}};
    auto total = item_or_none(counts, value{"total"});
    if (total.is_dict()) {
      auto calls = item_or_none(total, value{"calls"});
      result["calls"] = calls;
      result["calls_per_second"] = calls.as_double() / std::max(uptime.count(), 1e-9);
      result["calls_by_type"] = item_or_none(counts, value{"by_type"});
    }
    return value{std::move(result)};
  }

  value clients(const value& counts) const {
    auto per_session = item_or_none(counts, value{"sessions"});
    list_value result;
    for (auto& [number, session] : numbered) {
      auto& entry = sessions.at(session.address());
      auto since = std::chrono::duration<double>(entry.since.time_since_epoch());
      dict_value client{{"session", static_cast<std::int64_t>(number)},
                        {"peer", entry.peer},
                        {"connected_since", since.count()},
                        {"objects", static_cast<std::int64_t>(entry.held.size())}};
      auto calls = item_or_none(per_session, value{static_cast<std::int64_t>(number)});
      if (calls.is_dict())
        for (auto& [key, count] : calls.as_dict())
          client.insert_or_assign(key, count);
      result.emplace_back(std::move(client));
    }
    return value{std::move(result)};
  }

  // A snapshot of object `id`, as its copy() gives it; a kind without one
  // (a lock, a queue) is named instead.
  caf::result<value> dump(std::uint64_t id) {
    auto entry = objects.find(id);
    if (entry == objects.end())
      return missing(id);
    auto type = *entry->second.type;
    auto no_snapshot = value{"<" + type + " object " + std::to_string(id) +
                             ": it has no snapshot to show>"};
    if (!cafman_object(entry->second.handle))
      return no_snapshot; // a user's actor type: not ours to ask
    auto promise = self->make_response_promise();
    self->request(entry->second.handle, std::chrono::seconds{5}, copy_atom_v)
      .then([promise](value& contents) mutable { promise.deliver(std::move(contents)); },
            [promise, no_snapshot](caf::error&) mutable { promise.deliver(no_snapshot); });
    return promise;
  }

  void exit_all() {
    round.reset();
    access->close(); // every object is placed there, and so is one not managed yet
    objects.clear();
    names.clear();
    sessions.clear();
    numbered.clear();
  }
};

registry_actor::behavior_type make_registry(registry_ptr self, type_table types,
                                            std::shared_ptr<access_table> access,
                                            object_limits limits) {
  auto& st = self->state;
  st.init(self, std::move(types), std::move(access), limits);
  detail::reject_unexpected(self);
  self->set_down_handler([&st](caf::down_msg& down) {
    st.object_ended(down.source); // an object may hold others too: both
    st.drop_session(down.source);
  });
  return {
      [&st](hello_atom, const caf::actor& session, const std::string& peer) {
        return st.hello(session, peer);
      },
      [&st](watch_atom, std::uint64_t session) {
        return caf::result<caf::actor>{st.session_actor(session)};
      },
      [&st](create_atom, const caf::actor& session, const std::string& type,
            const value& args) -> caf::result<std::uint64_t, caf::actor> {
        auto id = st.create(session, type, args);
        if (!id)
          return std::move(id.error());
        return {*id, st.objects.at(*id).handle};
      },
      [&st](incref_atom, const caf::actor& session, std::uint64_t id) {
        return caf::result<caf::actor>{st.incref(session, id, false)};
      },
      [&st](decref_atom, const caf::actor& session, std::uint64_t id) {
        st.decref(session.address(), id, false);
      },
      [&st](create_atom, const caller& who, const std::string& type, const value& args) {
        return caf::result<std::uint64_t>{st.by_number(
            who.session, [&](caf::actor& holder) { return st.create(holder, type, args); })};
      },
      [&st](incref_atom, const caller& who, std::uint64_t id) {
        return caf::result<std::string>{
            st.by_number(who.session, [&](caf::actor& holder) -> caf::expected<std::string> {
              auto handle = st.incref(holder, id, true);
              if (!handle)
                return std::move(handle.error());
              return *st.objects.at(id).type;
            })};
      },
      [&st](incref_atom, const caller& who, std::uint64_t id, std::uint64_t donor) {
        return caf::result<std::string>{st.by_number(
            who.session, [&](caf::actor& holder) { return st.adopt(holder, id, donor); })};
      },
      [&st](decref_atom, const caller& who, std::uint64_t id) {
        st.by_number(who.session, [&](caf::actor& holder) -> caf::expected<void> {
          st.decref(holder.address(), id, false);
          return {};
        });
      },
      [&st](news_atom, const caller& who) {
        return caf::result<value>{
            st.by_number(who.session, [&](caf::actor& holder) -> caf::expected<value> {
              return st.news(holder);
            })};
      },
      [&st](manage_atom, const caf::actor& object, const std::string& type) {
        st.manage(object, type);
      },
      [&st](get_atom, std::uint64_t id) { return caf::result<caf::actor>{st.handle_of(id)}; },
      [&st](publish_atom, const std::string& name, const std::string& type, const value& args) {
        return caf::result<std::uint64_t>{st.publish(name, type, args)};
      },
      [&st](publish_atom, const caller& who, const std::string& name, std::uint64_t id) {
        return caf::result<void>{st.by_number(who.session, [&](caf::actor& holder) {
          return st.publish(holder, name, id);
        })};
      },
      [&st](lookup_atom, const caller& who, const std::string& name) {
        return st.lookup_reply(who.session,
                               [&](caf::actor& holder) { return st.lookup(holder, name); });
      },
      [&st](lookup_atom, const caller& who, const std::string& name, const std::string& type,
            const value& args) {
        return st.lookup_reply(who.session, [&](caf::actor& holder) {
          return st.lookup_or_create(holder, name, type, args);
        });
      },
      [&st](unpublish_atom, const std::string& name) {
        return caf::result<void>{st.unpublish(name)};
      },
      [&st](cluster_atom) { return st.cluster_map; },
      [&st](cluster_atom, value& map) { st.cluster_map = std::move(map); },
      [&st](names_atom) {
        list_value result;
        for (auto& entry : st.names)
          result.emplace_back(entry.first);
        return value{std::move(result)};
      },
      [&st](objects_atom) { return static_cast<std::uint64_t>(st.objects.size()); },
      [self](collect_atom) -> caf::result<std::uint64_t> {
        auto waiter = self->make_response_promise();
        self->state.collect(waiter);
        return waiter;
      },
      [&st](debug_atom) { return st.debug_info(); },
      [&st](debug_atom, len_atom) { return st.measured_debug_info(); },
      [&st](info_atom) {
        return st.with_call_counts([&st](const value& counts) { return st.info(counts); });
      },
      [&st](clients_atom) {
        return st.with_call_counts([&st](const value& counts) { return st.clients(counts); });
      },
      [&st](stats_atom, const caf::actor& counter) { st.call_counter = counter; },
      [&st](timed_out_atom, std::uint64_t session) { st.count_timeout(session); },
      [&st](dump_atom, std::uint64_t id) { return st.dump(id); },
      [self](shutdown_atom) {
        self->state.exit_all();
        self->quit();
      },
  };
}

} // namespace

namespace {

template <class... Kinds>
type_table table_of(caf::detail::type_list<Kinds...>) {
  return {{Kinds::type_id, factory_of(Kinds{})}...};
}

} // namespace

type_table builtin_types() {
  return table_of(builtin_kinds{});
}

registry_actor spawn_registry(caf::actor_system& sys, type_table types,
                              std::shared_ptr<access_table> access,
                              object_limits limits) {
  return caf::actor_cast<registry_actor>(
      detail::spawn_object(sys, make_registry, std::move(types), std::move(access), limits));
}

} // namespace cafman
