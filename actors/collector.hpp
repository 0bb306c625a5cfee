#pragma once

// The cycle collector's arithmetic. Reference counting frees an object when
// its last reference goes, but objects that only refer to each other (a
// list appended to itself, two dicts holding each other, a custom object
// and the list it keeps) hold each other forever. A collection round finds
// them, as Python's gc does, by reachability:
//
// 1. The registry asks every object which objects its stored values refer
//    to (cafman/interfaces/references.hpp), and how many of the manager's
//    holds on each it keeps (copies of one reference share one hold, which
//    only the first object to report it counts).
// 2. An object is a root when anything but a reported value holds it: a
//    client session, a name, an in-process user, a reply on its way to a
//    client (the access table knows), or a manager hold that no object
//    reported (a value inside a message, a waiting call, a class that cannot
//    tell). So is any object created or touched (a hold taken or dropped)
//    while the round ran: the round saw it half-way.
// 3. What no root reaches, through reported references and objects holding
//    objects (a condition its lock), is garbage.
//
// Every doubt makes a root, so a round may leave garbage for the next one,
// never free what is live: a live object is reachable from a client by
// definition, and a value it holds is either reported or counted as held
// from outside.

#include <cstdint>
#include <map>
#include <set>
#include <vector>

#include "cafman/value.hpp"

namespace cafman::detail {

/// What the registry knows of one object when a round ends.
struct object_holds {
  std::int64_t manager_holds = 0;               // the manager's own holds
  bool held_elsewhere = false;                  // see (2) above
  std::vector<std::uint64_t> held_by_objects;   // objects holding it as sessions do
};

class collection_round {
public:
  /// A round over `objects`, all that existed when it began; `number` tells
  /// its reports from other rounds' (a random number, which a client cannot
  /// guess to spoil the count).
  collection_round(std::uint64_t number, std::set<std::uint64_t> objects)
      : number_(number), scanned_(std::move(objects)), waiting_(scanned_.size()) {}

  std::uint64_t number() const { return number_; }
  const std::set<std::uint64_t>& scanned() const { return scanned_; }

  /// The registry took or dropped a hold on `id` during the round.
  void touched(std::uint64_t id) { touched_.insert(id); }

  /// `object`'s answer (a dict {id: holds}), or none if it gave none: it then
  /// refers to nothing the round knows of, and whatever it holds stays a root.
  void reported(std::uint64_t object, const value* refs);

  /// Whether every scanned object answered (or failed to).
  bool complete() const { return waiting_ == 0; }

  /// The scanned objects no root reaches, given what the registry knows of
  /// each object that still exists.
  std::vector<std::uint64_t>
  unreachable(const std::map<std::uint64_t, object_holds>& objects) const;

private:
  std::uint64_t number_;
  std::set<std::uint64_t> scanned_;
  std::size_t waiting_;
  std::set<std::uint64_t> touched_;
  std::map<std::uint64_t, std::vector<std::uint64_t>> refers_to_;
  std::map<std::uint64_t, std::int64_t> reported_holds_;
};

} // namespace cafman::detail
