#pragma once

// Work too long for the I/O thread. Objects run on it (actors/placement.hpp),
// so sorting ten million items there would stall every other object and
// every client for seconds. Such work moves to a worker of the actor
// system's scheduler, with the data it needs; meanwhile its object takes no
// other message (CAF's `await` keeps them in its mailbox, in order), so the
// object's operations stay serialized and only its own callers wait.

#include <cstddef>
#include <memory>
#include <utility>

#include <caf/error.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/response_promise.hpp>

#include "cafman/protocol.hpp"

namespace cafman::detail {

/// From this many items on, an operation whose cost grows faster than its
/// message (a sort, an in-place repeat) runs in the background: about a
/// millisecond of work on this hardware, where the hop costs microseconds.
constexpr std::size_t background_items = 1u << 16;

/// Runs `work(data)` (returning a caf::error, empty on success) on a worker,
/// then `done(std::move(data))` back on `self`, and answers `promise` with
/// unit or work's error. `self` handles no other message in between. If the
/// object is killed meanwhile, the worker finishes on its own copy and
/// nothing is delivered.
template <class Self, class T, class Work, class Done>
void in_background(Self* self, caf::response_promise promise, T data, Work work, Done done) {
  auto job = std::make_shared<T>(std::move(data));
  auto failure = std::make_shared<caf::error>();
  auto worker = self->spawn([job, failure, work](caf::event_based_actor* w) -> caf::behavior {
    return {[=](run_atom) {
      *failure = work(*job);
      w->quit();
    }};
  });
  self->request(worker, caf::infinite, run_atom_v)
      .await(
          [=]() mutable {
            done(std::move(*job));
            if (*failure)
              promise.deliver(std::move(*failure));
            else
              promise.deliver(caf::unit);
          },
          [=](caf::error& e) mutable {
            done(std::move(*job));
            promise.deliver(std::move(e));
          });
}

} // namespace cafman::detail
