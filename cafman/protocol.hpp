#pragma once

// What travels between client and manager: the message tags (atoms), the
// custom message types and the error codes. Both sides must agree on all of
// it, so it lives in one header.

#include <cstdint>
#include <string>

#include <caf/atom.hpp>
#include <caf/error.hpp>
#include <caf/message.hpp>
#include <caf/meta/type_name.hpp>
#include <caf/timespan.hpp>
#include <caf/type_id.hpp>

#include "cafman/value.hpp"

namespace cafman {

/// Why the manager failed a request. Travels inside a caf::error; the client
/// turns each code into the matching exception (see proxies/call.hpp).
enum class errc : std::uint8_t {
  key_not_found = 1,
  index_out_of_range,
  type_mismatch,
  bad_argument,
  no_such_attribute,
  no_such_object,
  no_such_type,
  unsupported_message,
  shutting_down,
  queue_empty,
  queue_full,
  broken_barrier,
  not_owner,
  cancelled,
  not_exposed,   // a custom type has no exposed method of that name
  method_failed, // a custom type's method threw something not a cafman::error
  limit_exceeded, // the call would pass one of the manager's limits (actors/limits.hpp)
  // Said by the client side itself, for calls whose failure reaches code
  // as a caf::error (asynchronous calls, actor clients):
  timed_out,       // no reply within the call's deadline
  connection_lost, // the manager is gone, or dropped this client
  changed_during_iteration, // a dict or set changed size under a live walk
  stop_iteration,           // a custom class's iteration is over (Python's StopIteration)
  not_journaled,            // a durable object changed, but its journal could not record it
};

/// Who calls a blocking object: the client session (the number the registry
/// gave it at hello) and the thread within that client. Blocking objects
/// record holders and waiters by it, so what a client holds is released
/// when its session ends, whichever connection or actor carried the call.
struct caller {
  std::uint64_t session = 0;
  std::uint64_t thread = 0;

  friend bool operator==(const caller& a, const caller& b) {
    return a.session == b.session && a.thread == b.thread;
  }
  friend bool operator!=(const caller& a, const caller& b) { return !(a == b); }
};

namespace detail {

/// How long a blocking call may wait, as it travels: zero means "do not
/// wait", forever means "no deadline".
constexpr caf::timespan forever = caf::timespan::max();

} // namespace detail

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, caller& x) {
  return f(caf::meta::type_name("cafman::caller"), x.session, x.thread);
}

std::string to_string(errc code);

} // namespace cafman

CAF_ERROR_CODE_ENUM_2(cafman::errc, "cafman")

// Tags CAF 0.17.6 already defines (get, put, delete, update, ...) are reused;
// these are the ones it lacks. Atom texts have at most 10 characters.
CAF_BEGIN_TYPE_ID_BLOCK(cafman, caf::first_custom_type_id)

  CAF_ADD_TYPE_ID(cafman, (cafman::value))
  CAF_ADD_TYPE_ID(cafman, (cafman::caller))

  // registry
  CAF_ADD_ATOM(cafman, cafman, hello_atom, "hello")
  CAF_ADD_ATOM(cafman, cafman, create_atom, "create")
  CAF_ADD_ATOM(cafman, cafman, incref_atom, "incref")
  CAF_ADD_ATOM(cafman, cafman, decref_atom, "decref")
  CAF_ADD_ATOM(cafman, cafman, objects_atom, "objects")
  CAF_ADD_ATOM(cafman, cafman, debug_atom, "debug_info")
  CAF_ADD_ATOM(cafman, cafman, shutdown_atom, "shutdown")
  CAF_ADD_ATOM(cafman, cafman, watch_atom, "watch")
  CAF_ADD_ATOM(cafman, cafman, news_atom, "news")
  // what an operator asks a manager (the cafman command-line client)
  CAF_ADD_ATOM(cafman, cafman, info_atom, "info")
  CAF_ADD_ATOM(cafman, cafman, clients_atom, "clients")
  CAF_ADD_ATOM(cafman, cafman, dump_atom, "dump")
  CAF_ADD_ATOM(cafman, cafman, stats_atom, "stats")
  // the cycle collector (actors/collector.hpp)
  CAF_ADD_ATOM(cafman, cafman, refs_atom, "refs")
  CAF_ADD_ATOM(cafman, cafman, collect_atom, "collect")

  // containers
  CAF_ADD_ATOM(cafman, cafman, len_atom, "len")
  CAF_ADD_ATOM(cafman, cafman, contains_atom, "contains")
  CAF_ADD_ATOM(cafman, cafman, pop_atom, "pop")
  CAF_ADD_ATOM(cafman, cafman, clear_atom, "clear")
  CAF_ADD_ATOM(cafman, cafman, copy_atom, "copy")
  CAF_ADD_ATOM(cafman, cafman, fetch_add_atom, "fetch_add")

  // dict
  CAF_ADD_ATOM(cafman, cafman, popitem_atom, "popitem")
  CAF_ADD_ATOM(cafman, cafman, setdef_atom, "setdefault")
  CAF_ADD_ATOM(cafman, cafman, keys_atom, "keys")
  CAF_ADD_ATOM(cafman, cafman, values_atom, "values")
  CAF_ADD_ATOM(cafman, cafman, items_atom, "items")

  // list
  CAF_ADD_ATOM(cafman, cafman, append_atom, "append")
  CAF_ADD_ATOM(cafman, cafman, extend_atom, "extend")
  CAF_ADD_ATOM(cafman, cafman, insert_atom, "insert")
  CAF_ADD_ATOM(cafman, cafman, remove_atom, "remove")
  CAF_ADD_ATOM(cafman, cafman, index_atom, "index")
  CAF_ADD_ATOM(cafman, cafman, count_atom, "count")
  CAF_ADD_ATOM(cafman, cafman, reverse_atom, "reverse")
  CAF_ADD_ATOM(cafman, cafman, sort_atom, "sort")
  CAF_ADD_ATOM(cafman, cafman, repeat_atom, "repeat")
  CAF_ADD_ATOM(cafman, cafman, slice_atom, "slice")

  // set
  CAF_ADD_ATOM(cafman, cafman, discard_atom, "discard")
  CAF_ADD_ATOM(cafman, cafman, union_atom, "union")
  CAF_ADD_ATOM(cafman, cafman, intersect_atom, "intersect")
  CAF_ADD_ATOM(cafman, cafman, difference_atom, "difference")
  CAF_ADD_ATOM(cafman, cafman, sym_diff_atom, "sym_diff")
  CAF_ADD_ATOM(cafman, cafman, issubset_atom, "issubset")
  CAF_ADD_ATOM(cafman, cafman, issuperset_atom, "issuperset")
  CAF_ADD_ATOM(cafman, cafman, isdisjoint_atom, "isdisjoint")

  // server internals: the gate hands an authenticated socket to a broker
  CAF_ADD_ATOM(cafman, cafman, adopt_atom, "adopt")

  // value
  CAF_ADD_ATOM(cafman, cafman, typecode_atom, "typecode")
  CAF_ADD_ATOM(cafman, cafman, cas_atom, "cas")

  // locks, semaphores, conditions, events, barriers
  CAF_ADD_ATOM(cafman, cafman, acquire_atom, "acquire")
  CAF_ADD_ATOM(cafman, cafman, release_atom, "release")
  CAF_ADD_ATOM(cafman, cafman, locked_atom, "locked")
  CAF_ADD_ATOM(cafman, cafman, fence_atom, "fence")
  CAF_ADD_ATOM(cafman, cafman, rel_save_atom, "rel_save")
  CAF_ADD_ATOM(cafman, cafman, acq_restore_atom, "acq_rest")
  CAF_ADD_ATOM(cafman, cafman, wait_atom, "wait")
  CAF_ADD_ATOM(cafman, cafman, notify_atom, "notify")
  CAF_ADD_ATOM(cafman, cafman, set_atom, "set")
  CAF_ADD_ATOM(cafman, cafman, left_atom, "left")
  CAF_ADD_ATOM(cafman, cafman, is_set_atom, "is_set")
  CAF_ADD_ATOM(cafman, cafman, abort_atom, "abort")
  CAF_ADD_ATOM(cafman, cafman, parties_atom, "parties")
  CAF_ADD_ATOM(cafman, cafman, n_waiting_atom, "n_waiting")
  CAF_ADD_ATOM(cafman, cafman, broken_atom, "broken")
  CAF_ADD_ATOM(cafman, cafman, action_atom, "action")

  // queues
  CAF_ADD_ATOM(cafman, cafman, qsize_atom, "qsize")
  CAF_ADD_ATOM(cafman, cafman, empty_atom, "empty")
  CAF_ADD_ATOM(cafman, cafman, full_atom, "full")
  CAF_ADD_ATOM(cafman, cafman, maxsize_atom, "maxsize")
  CAF_ADD_ATOM(cafman, cafman, task_done_atom, "task_done")
  CAF_ADD_ATOM(cafman, cafman, confirm_atom, "confirm")

  // objects made by objects: iterators over containers
  CAF_ADD_ATOM(cafman, cafman, manage_atom, "manage")
  CAF_ADD_ATOM(cafman, cafman, iter_atom, "iter")
  CAF_ADD_ATOM(cafman, cafman, next_atom, "next")

  // custom types
  CAF_ADD_ATOM(cafman, cafman, call_atom, "call")
  CAF_ADD_ATOM(cafman, cafman, methods_atom, "methods")

  // named objects (publish and unpublish are CAF's own, below)
  CAF_ADD_ATOM(cafman, cafman, lookup_atom, "lookup")
  CAF_ADD_ATOM(cafman, cafman, names_atom, "names")

  // work an object hands to a worker thread (actors/background.hpp)
  CAF_ADD_ATOM(cafman, cafman, run_atom, "run")

  // the cluster map a manager node keeps for the net layer (net/cluster.hpp)
  CAF_ADD_ATOM(cafman, cafman, cluster_atom, "cluster")

  // a wait that ended by its deadline, counted for operators (actors/waiting.hpp)
  CAF_ADD_ATOM(cafman, cafman, timed_out_atom, "timed_out")

CAF_END_TYPE_ID_BLOCK(cafman)

namespace cafman {

// CAF's own tags, under the names cafman's interfaces use.
using caf::add_atom;
using caf::add_atom_v;
using caf::delete_atom;
using caf::delete_atom_v;
using caf::join_atom;
using caf::join_atom_v;
using caf::reset_atom;
using caf::reset_atom_v;
using caf::timeout_atom;
using caf::timeout_atom_v;
using caf::get_atom;
using caf::get_atom_v;
using caf::put_atom;
using caf::put_atom_v;
using caf::update_atom;
using caf::update_atom_v;
using caf::publish_atom;
using caf::publish_atom_v;
using caf::unpublish_atom;
using caf::unpublish_atom_v;

} // namespace cafman
