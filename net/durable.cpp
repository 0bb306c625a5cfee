#include "cafman/net/durable.hpp"

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <deque>
#include <set>

#include <dirent.h>
#include <unistd.h>

#include <caf/actor_system.hpp>
#include <caf/scoped_actor.hpp>

#include "cafman/errors.hpp"
#include "cafman/interfaces/array.hpp"
#include "cafman/interfaces/dict.hpp"
#include "cafman/interfaces/list.hpp"
#include "cafman/interfaces/namespace.hpp"
#include "cafman/interfaces/queue.hpp"
#include "cafman/interfaces/set.hpp"
#include "cafman/interfaces/shared_value.hpp"
#include "cafman/protocol.hpp"

namespace cafman::net {

namespace {

const std::string suffix = ".journal";

/// Items handed out whose receipt has not come back, per queue, at most:
/// an older one's receipt is then not journaled, and a restart would bring
/// its item back once more (at least once, as for a getter's crash).
constexpr std::size_t max_unconfirmed = 100000;

const std::set<std::string>& durable_kinds() {
  static const std::set<std::string> kinds{dict_type_id,      list_type_id,  set_type_id,
                                           namespace_type_id, value_type_id, array_type_id,
                                           queue_type_id};
  return kinds;
}

template <class... Atoms>
bool starts_with_one_of(const caf::message& msg) {
  return !msg.empty() && (msg.match_element<Atoms>(0) || ...);
}

/// Whether a data kind's request changes its object: every tag below
/// changes whatever kind takes it, and set algebra "in place" puts
/// update_atom second (`s &= t` is (intersect, update, t)).
bool changes_state(const caf::message& msg) {
  return starts_with_one_of<put_atom, delete_atom, pop_atom, popitem_atom, setdef_atom, update_atom,
                            clear_atom, fetch_add_atom, append_atom, extend_atom, insert_atom,
                            remove_atom, reverse_atom, sort_atom, repeat_atom, add_atom,
                            discard_atom, cas_atom>(msg)
         || (msg.size() > 1 && msg.match_element<update_atom>(1));
}

bool holds_reference(const value& x) {
  if (x.is_reference())
    return true;
  if (x.is_list())
    return std::any_of(x.as_list().begin(), x.as_list().end(), holds_reference);
  if (x.is_dict())
    for (auto& [k, v] : x.as_dict())
      if (holds_reference(k) || holds_reference(v))
        return true;
  return false;
}

std::string hex(const std::string& text) {
  static const char digits[] = "0123456789abcdef";
  std::string out;
  for (unsigned char c : text) {
    out += digits[c >> 4];
    out += digits[c & 15];
  }
  return out;
}

/// A queue's constructor arguments (maxsize) with the items it starts with.
value with_items(const value& args, const std::vector<value>& items) {
  list_value result{args.is_list() && !args.as_list().empty() ? args.as_list()[0] : value{0}};
  result.emplace_back(list_value(items.begin(), items.end()));
  return value{std::move(result)};
}

std::vector<std::string> journal_files(const std::string& dir) {
  std::unique_ptr<DIR, int (*)(DIR*)> listing{::opendir(dir.c_str()), ::closedir};
  if (!listing)
    throw error("cannot read the journal directory " + dir + ": " + std::strerror(errno));
  std::vector<std::string> files;
  while (auto entry = ::readdir(listing.get())) {
    std::string name = entry->d_name;
    if (name.size() > suffix.size()
        && name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0)
      files.push_back(dir + "/" + name);
  }
  std::sort(files.begin(), files.end());
  return files;
}

} // namespace

struct durable_objects::entry {
  std::string name;
  std::string type_id;
  value args; // the journal header's constructor arguments
  caf::actor object;
  std::shared_ptr<journal> file; // replaced by compaction, synced by the flusher
  std::size_t compacted_bytes = 0; // the journal's size after it was last written whole
  bool compacting = false;
  std::atomic<bool> removed{false};
  // A queue's items by the journal's account (queued or handed out, not
  // confirmed), and the items handed out by receipt.
  std::deque<value> items;
  struct handed_item {
    std::uint64_t session;
    value item;
  };
  std::unordered_map<std::uint64_t, handed_item> handed;
  std::deque<std::uint64_t> handed_order; // oldest first; confirmed ones linger

  void hand_out(std::uint64_t receipt, std::uint64_t session, value item) {
    handed.emplace(receipt, handed_item{session, std::move(item)});
    handed_order.push_back(receipt);
    while (handed.size() > max_unconfirmed) {
      handed.erase(handed_order.front());
      handed_order.pop_front();
    }
    if (handed_order.size() > 2 * handed.size() + 1024) { // drop the confirmed ones
      std::deque<std::uint64_t> open;
      for (auto receipt : handed_order)
        if (handed.count(receipt))
          open.push_back(receipt);
      handed_order.swap(open);
    }
  }

  /// The item of `receipt` if `session` holds it (the queue itself ignores
  /// another session's receipt).
  std::optional<value> confirm(std::uint64_t receipt, std::uint64_t session) {
    auto found = handed.find(receipt);
    if (found == handed.end() || found->second.session != session)
      return std::nullopt;
    auto item = std::move(found->second.item);
    handed.erase(found);
    if (auto kept = std::find(items.begin(), items.end(), item); kept != items.end())
      items.erase(kept);
    return item;
  }

  bool is_queue() const { return type_id == queue_type_id; }

  caf::message header() const { return caf::make_message(name, type_id, args); }

  std::vector<caf::message> queue_records() const {
    std::vector<caf::message> records;
    for (auto& item : items)
      records.push_back(caf::make_message(put_atom_v, item));
    return records;
  }

};

durable_objects::durable_objects(caf::actor_system& sys, durability_options options,
                                 log_sink log)
  : sys_(sys), options_(std::move(options)), log_(std::move(log)) {
  if (!enabled())
    return;
  if (::access(options_.dir.c_str(), W_OK | X_OK) != 0)
    throw value_error("the journal directory " + options_.dir + " is not a writable directory: "
                      + std::strerror(errno));
  if (options_.fsync == fsync_policy::everysec)
    flusher_ = std::thread{[this] { flush_every_second(); }};
}

durable_objects::~durable_objects() {
  {
    std::lock_guard<std::mutex> guard{mtx_};
    stopping_ = true;
  }
  wake_.notify_all();
  if (flusher_.joinable())
    flusher_.join();
  for (auto& [id, e] : by_id_)
    e->file->sync();
}

void durable_objects::flush_every_second() {
  std::unique_lock<std::mutex> guard{mtx_};
  while (!wake_.wait_for(guard, std::chrono::seconds(1), [this] { return stopping_; })) {
    std::vector<std::shared_ptr<journal>> files;
    for (auto& [id, e] : by_id_)
      files.push_back(e->file);
    guard.unlock();
    for (auto& file : files)
      file->sync();
    guard.lock();
  }
}

void durable_objects::check_kind(const std::string& type_id) {
  if (durable_kinds().count(type_id) == 0)
    throw value_error("an object of type '" + type_id
                      + "' cannot be durable: durable objects are dicts, lists, sets, namespaces, "
                        "values, arrays and queues (a lock's or an event's state belongs to client "
                        "sessions, which a restart ends)");
}

std::string durable_objects::path_of(const std::string& name) const {
  return options_.dir + "/" + hex(name) + suffix;
}

void durable_objects::restore(const publish_function& publish) {
  if (!enabled())
    return;
  for (auto& path : journal_files(options_.dir)) {
    auto loaded = journal::load(sys_, path);
    auto name = loaded.header.get_as<std::string>(0);
    auto type_id = loaded.header.get_as<std::string>(1);
    auto args = loaded.header.get_as<value>(2);
    if (!loaded.torn.empty() && log_)
      log_(log_level::warning, "journal of '" + name + "' (" + path + "): cut " + loaded.torn
                                 + "; the change it held was never acknowledged under fsync "
                                   "always");
    check_kind(type_id);
    std::vector<value> items;
    if (type_id == queue_type_id)
      for (auto& record : loaded.records) {
        auto item = record.get_as<value>(1);
        if (record.match_element<put_atom>(0))
          items.push_back(item);
        else if (auto found = std::find(items.begin(), items.end(), item); found != items.end())
          items.erase(found);
      }
    // A queue starts with its items, even past its maxsize (some were
    // handed out unconfirmed); other kinds replay their records.
    auto object = publish(name, type_id,
                          type_id == queue_type_id ? with_items(args, items) : args);
    caf::scoped_actor self{sys_};
    auto replay = [&](const caf::message& request) {
      // Any answer but an error will do; CAF reports one of an unexpected
      // type as unexpected_response.
      self->request(object, std::chrono::seconds(30), request)
        .receive([](value&) {},
                 [&](caf::error& e) {
                   if (e != caf::sec::unexpected_response && log_)
                     log_(log_level::warning, "journal of '" + name + "': replaying "
                                                + caf::to_string(request) + " failed: "
                                                + caf::to_string(e));
                 });
    };
    if (type_id != queue_type_id)
      for (auto& record : loaded.records)
        replay(record);
    if (log_)
      log_(log_level::info, "restored durable '" + name + "' (" + type_id + ") from "
                              + std::to_string(loaded.records.size()) + " journal records");
    start_journal(object, name, type_id, args,
                  journal::reopen(path, loaded.bytes, options_.fsync), std::move(items));
  }
}

void durable_objects::track(const caf::actor& object, const std::string& name,
                            const std::string& type_id, const value& args) {
  if (!enabled())
    throw value_error("cannot make '" + name + "' durable: the server has no journal directory "
                      "(durability_options::dir, cafman-server --journal-dir)");
  check_kind(type_id);
  auto file = journal::create(sys_, path_of(name), caf::make_message(name, type_id, args), {},
                              options_.fsync);
  start_journal(object, name, type_id, args, std::move(file), {});
}

void durable_objects::start_journal(const caf::actor& object, const std::string& name,
                                    const std::string& type_id, const value& args,
                                    std::unique_ptr<journal> file, std::vector<value> queue_items) {
  auto e = std::make_shared<entry>();
  e->name = name;
  e->type_id = type_id;
  e->args = args;
  e->object = object;
  e->compacted_bytes = file->bytes();
  e->file = std::move(file);
  e->items.assign(queue_items.begin(), queue_items.end());
  std::lock_guard<std::mutex> guard{mtx_};
  by_id_[object.id()] = e;
  by_name_[name] = e;
}

std::optional<std::uint64_t> durable_objects::durable_as(const std::string& name,
                                                        const std::string& type_id) const {
  std::lock_guard<std::mutex> guard{mtx_};
  auto found = by_name_.find(name);
  if (found == by_name_.end())
    return std::nullopt;
  auto& e = *found->second;
  if (e.type_id != type_id)
    throw value_error("'" + name + "' is durable as a " + e.type_id + ", not a " + type_id
                      + " (its journal is " + e.file->path() + ")");
  return e.object.id();
}

void durable_objects::forget(const std::string& name) {
  std::shared_ptr<entry> e;
  {
    std::lock_guard<std::mutex> guard{mtx_};
    auto found = by_name_.find(name);
    if (found == by_name_.end())
      return;
    e = found->second;
    by_name_.erase(found);
    by_id_.erase(e->object.id());
  }
  std::lock_guard<std::mutex> guard{mtx_};
  e->removed = true;
  e->file->remove();
}

std::shared_ptr<durable_objects::entry> durable_objects::find(std::uint64_t id) const {
  if (!enabled())
    return nullptr;
  std::lock_guard<std::mutex> guard{mtx_};
  auto found = by_id_.find(id);
  return found == by_id_.end() ? nullptr : found->second;
}

caf::error durable_objects::admit(const entry& e, const caf::message& request) const {
  for (std::size_t i = 0; i < request.size(); ++i)
    if (request.match_element<value>(i) && holds_reference(request.get_as<value>(i)))
      return caf::make_error(errc::bad_argument,
                             "'" + e.name + "' is durable and keeps plain values only: a "
                             "reference to another object would not survive a restart");
  return {};
}

caf::error durable_objects::record(entry& e, const caf::message& request,
                                   const caf::message& reply) {
  std::optional<caf::message> record;
  if (!e.is_queue()) {
    if (changes_state(request))
      record = request;
  } else if (request.match_element<put_atom>(0)) {
    auto item = request.get_as<value>(2);
    e.items.push_back(item);
    record = caf::make_message(put_atom_v, item);
  } else if (request.match_elements<get_atom, caller, caf::timespan>()
             && reply.match_elements<value, std::uint64_t>()) {
    e.hand_out(reply.get_as<std::uint64_t>(1), request.get_as<caller>(1).session,
               reply.get_as<value>(0));
  } else if (auto confirmed = confirmation(e, request)) {
    record = std::move(confirmed);
  }
  if (!record || e.removed)
    return {};
  try {
    journal_of(e)->append(sys_, *record);
  } catch (const std::exception& ex) {
    if (e.removed)
      return {};
    if (log_)
      log_(log_level::error, ex.what());
    return caf::make_error(errc::not_journaled,
                           "the change to '" + e.name + "' was made but not journaled (" + ex.what()
                           + "): it is lost if the server restarts");
  }
  auto bytes = journal_of(e)->bytes();
  if (e.is_queue() && bytes > options_.compact_after_bytes && bytes > 2 * e.compacted_bytes)
    compact(e, value{});
  return {};
}

// A getter's receipt (a one-way message from a proxy, a request from an
// actor client): the item is the queue's no more.
std::optional<caf::message> durable_objects::confirmation(entry& e, const caf::message& message) {
  if (!e.is_queue() || !message.match_elements<confirm_atom, caller, std::uint64_t>())
    return std::nullopt;
  auto item = e.confirm(message.get_as<std::uint64_t>(2), message.get_as<caller>(1).session);
  if (!item)
    return std::nullopt;
  return caf::make_message(confirm_atom_v, std::move(*item));
}

caf::error durable_objects::record_tell(entry& e, const caf::message& message) {
  if (!e.is_queue() || !message.match_elements<confirm_atom, caller, std::uint64_t>()) {
    if (!e.is_queue() && !changes_state(message))
      return {};
    // Nothing would be answered, so nothing could be journaled in order.
    return caf::make_error(errc::bad_argument, "'" + e.name + "' is durable: a change to it "
                                               "must be a request, not a one-way message");
  }
  auto record = confirmation(e, message);
  if (!record || e.removed)
    return {};
  try {
    journal_of(e)->append(sys_, *record);
  } catch (const std::exception& ex) {
    if (log_ && !e.removed)
      log_(log_level::error, ex.what());
  }
  return {};
}

std::shared_ptr<journal> durable_objects::journal_of(const entry& e) const {
  std::lock_guard<std::mutex> guard{mtx_};
  return e.file;
}

const caf::actor& durable_objects::object_of(const entry& e) const {
  return e.object;
}

std::optional<caf::message> durable_objects::snapshot_request(entry& e) {
  auto bytes = journal_of(e)->bytes();
  if (e.is_queue() || e.compacting || e.removed || bytes <= options_.compact_after_bytes
      || bytes <= 2 * e.compacted_bytes)
    return std::nullopt;
  e.compacting = true;
  if (e.type_id == value_type_id)
    return caf::make_message(get_atom_v);
  return caf::make_message(copy_atom_v);
}

// A queue's snapshot is its items by the journal's account; any other
// kind's is its contents, which become its constructor arguments (a value's
// and an array's after their typecode).
void durable_objects::compact(entry& e, const value& snapshot) {
  e.compacting = false;
  if (e.removed)
    return;
  try {
    if (!e.is_queue()) {
      list_value args;
      if (e.type_id == value_type_id || e.type_id == array_type_id)
        args.push_back(e.args.is_list() && !e.args.as_list().empty() ? e.args.as_list()[0]
                                                                     : value{});
      args.push_back(snapshot);
      e.args = value{std::move(args)};
    }
    auto records = e.is_queue() ? e.queue_records() : std::vector<caf::message>{};
    std::shared_ptr<journal> fresh =
      journal::create(sys_, journal_of(e)->path(), e.header(), records, options_.fsync);
    e.compacted_bytes = fresh->bytes();
    std::lock_guard<std::mutex> guard{mtx_};
    e.file = std::move(fresh);
    if (e.removed) // unpublished while it was written: the new file goes too
      e.file->remove();
  } catch (const std::exception& ex) {
    if (log_)
      log_(log_level::error, "cannot compact the journal of '" + e.name + "': " + ex.what());
  }
}

void durable_objects::compaction_failed(entry& e, const caf::error& why) {
  e.compacting = false;
  if (log_)
    log_(log_level::warning, "cannot compact the journal of '" + e.name
                               + "': no snapshot: " + caf::to_string(why));
}

} // namespace cafman::net
