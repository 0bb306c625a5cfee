#pragma once

// Durable objects (opt-in): a named object of a data kind (dict, list, set,
// namespace, value, array) or a queue whose changes go to a journal
// (net/journal.hpp) and come back when the server restarts, before it
// admits any client.
//
// Every change a client makes passes the lean broker, which records it here
// once the object answered and before the answer goes out: under fsync
// `always` an acknowledged change is on disk. A data kind's journal holds
// its changing requests as they were answered, in the order the object
// applied them (it answers in that order), and replaying them to a fresh
// object rebuilds it. A queue's journal holds items put and items whose
// getter confirmed them: a restart brings back every item not confirmed
// (at least once, as with a getter's crash).
//
// A journal is compacted into its object's snapshot (its constructor
// arguments, as copy() gives them) once it grows past
// durability_options::compact_after_bytes and twice its last size.

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <condition_variable>
#include <unordered_map>

#include <caf/actor.hpp>
#include <caf/fwd.hpp>
#include <caf/message.hpp>

#include "cafman/value.hpp"
#include "cafman/net/journal.hpp"
#include "cafman/net/log.hpp"
#include "cafman/net/options.hpp"

namespace cafman::net {

class durable_objects {
public:
  struct entry;

  /// Throws cafman::error when `options.dir` is set but not a writable
  /// directory.
  durable_objects(caf::actor_system& sys, durability_options options, log_sink log);
  ~durable_objects();
  durable_objects(const durable_objects&) = delete;
  durable_objects& operator=(const durable_objects&) = delete;

  bool enabled() const { return !options_.dir.empty(); }

  /// Throws value_error unless objects of `type_id` can be durable.
  static void check_kind(const std::string& type_id);

  /// Creates and publishes an object from a journal's header, returning it.
  using publish_function = std::function<caf::actor(const std::string& name,
                                                    const std::string& type_id, const value& args)>;

  /// Restores every journal in the directory: publishes its object, replays
  /// its records to it (waiting for each) and journals it from then on.
  /// Logs what it restored and every torn record it cut. Throws
  /// cafman::error for a journal it cannot read.
  void restore(const publish_function& publish);

  /// Journals `object`, just published as `name` from `args`, from now on.
  void track(const caf::actor& object, const std::string& name, const std::string& type_id,
             const value& args);

  /// The object durable as `name`, if any (restored from its journal, say);
  /// throws value_error when it is of another type than `type_id`.
  std::optional<std::uint64_t> durable_as(const std::string& name,
                                          const std::string& type_id) const;

  /// `name` was unpublished: its journal, if any, is deleted.
  void forget(const std::string& name);

  // The lean broker's hooks, on its thread.

  /// The entry of object `id`, or null when it is not durable.
  std::shared_ptr<entry> find(std::uint64_t id) const;

  /// Refuses a change no journal could replay: a value holding a reference
  /// to another object.
  caf::error admit(const entry& e, const caf::message& request) const;

  /// Records `request`, which its object answered with `reply` (not an
  /// error). An error (not_journaled) when the journal could not take it.
  caf::error record(entry& e, const caf::message& request, const caf::message& reply);

  /// Records a one-way message to the object (a queue getter's receipt);
  /// an error for one that would change it unjournaled (it is dropped).
  caf::error record_tell(entry& e, const caf::message& message);

  /// When the journal is due for compaction: what to ask the object for
  /// its snapshot; then compact() with the value it answered. Sent by the
  /// broker so that the answer comes in order with the others.
  std::optional<caf::message> snapshot_request(entry& e);
  const caf::actor& object_of(const entry& e) const;
  void compact(entry& e, const value& snapshot);
  void compaction_failed(entry& e, const caf::error& why);

private:
  std::string path_of(const std::string& name) const;
  std::optional<caf::message> confirmation(entry& e, const caf::message& message);
  /// The entry's journal now (compaction replaces it).
  std::shared_ptr<journal> journal_of(const entry& e) const;
  void start_journal(const caf::actor& object, const std::string& name,
                     const std::string& type_id, const value& args,
                     std::unique_ptr<journal> file, std::vector<value> queue_items);
  void flush_every_second();

  caf::actor_system& sys_;
  durability_options options_;
  log_sink log_;
  mutable std::mutex mtx_;
  std::unordered_map<std::uint64_t, std::shared_ptr<entry>> by_id_;   // under mtx_
  std::unordered_map<std::string, std::shared_ptr<entry>> by_name_;   // under mtx_
  bool stopping_ = false;                                              // under mtx_
  std::condition_variable wake_;
  std::thread flusher_; // fsync everysec
};

} // namespace cafman::net
