#pragma once

// Which client session may address which object. The registry writes it as
// references come and go; the lean broker reads it for every frame, on
// another thread. A session reaches only what it holds a reference to (made,
// received in a reply, or looked up by name): an id it was never given is
// "no such object", exactly as an id that never existed.
//
// It counts references as the registry does, but a reference that a reply
// carries is counted here when the reply is written (the reader may use it
// at once), before the registry hears of it.
//
// It is also where the lean path finds an object by its id: the registry
// places what it creates, an object places what it makes (an iterator)
// before the reply that carries it is written, and the registry removes an
// object when it lets it go. CAF's actor registry would do the same at about
// 50 bytes more per object (it attaches a function to each actor it keeps).

#include <cstdint>
#include <mutex>
#include <unordered_map>
#include <unordered_set>

#include <caf/actor.hpp>

namespace cafman {

class access_table {
public:
  /// One more reference of `session` to `id`.
  void grant(std::uint64_t session, std::uint64_t id);

  /// One reference less; at none, `session` may no longer address `id`.
  void revoke(std::uint64_t session, std::uint64_t id);

  /// `session` may no longer address `id`, however many references it had
  /// (the object ended on its own).
  void revoke_all(std::uint64_t session, std::uint64_t id);

  /// A session that ended addresses nothing.
  void forget(std::uint64_t session);

  bool allows(std::uint64_t session, std::uint64_t id) const;

  /// Every object some session may address.
  std::unordered_set<std::uint64_t> addressable() const;

  /// How many objects `session` holds.
  std::size_t held_by(std::uint64_t session) const;

  /// Object `id` is `object` until it is removed. False, placing nothing,
  /// once the table is closed.
  bool place(std::uint64_t id, caf::actor object);
  void remove(std::uint64_t id);

  /// The registry ends: every object still placed exits (one placed by the
  /// object that made it, whose registry never heard of it, would
  /// otherwise live on and keep the actor system from ending), and
  /// nothing is placed from now on.
  void close();

  /// Object `id`, or none if it is not (or no longer) placed.
  caf::actor object(std::uint64_t id) const;

private:
  mutable std::mutex mtx_;
  bool closed_ = false;
  std::unordered_map<std::uint64_t, caf::actor> objects_;
  std::unordered_map<std::uint64_t, std::unordered_map<std::uint64_t, std::size_t>> held_;
};

} // namespace cafman
