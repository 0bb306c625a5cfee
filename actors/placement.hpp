#pragma once

// Where object actors run: on the middleman's I/O thread, as brokers
// without connections. A request from the lean broker (net/lean_broker.hpp)
// then reaches its object and the reply comes back without a thread hop or
// a wake-up — measured here at 1.3x (1 client) to 1.5x (4 clients) the rate
// of scheduled objects. Objects never block, so sharing the I/O thread is
// safe; all objects and all I/O of a manager then use one core.
//
// Objects of custom classes are the exception: their methods are the user's
// code, of any length, and one that takes seconds would stall the whole
// manager there. They run on the scheduler's workers instead (one wake-up
// more per call), where a slow method holds up only its own object.

#include <utility>

#include <caf/io/middleman.hpp>
#include <caf/io/typed_broker.hpp>
#include <caf/stateful_actor.hpp>
#include <caf/typed_event_based_actor.hpp>

namespace cafman::detail {

/// The object whose messages this thread handles now (see object_actor).
inline thread_local void* running_object = nullptr;

/// An object actor on the I/O thread that tells its handlers which object
/// they run for: a kind's behavior can then be made once and shared by all
/// its objects, its handlers capturing nothing and finding their object
/// with current<Self>(). A behavior of its own costs an object about 40
/// bytes per handler in CAF 0.17, a kilobyte for a dict: as much as the
/// actor itself.
template <class State, class Base>
class object_actor : public caf::stateful_actor<State, Base> {
public:
  using super = caf::stateful_actor<State, Base>;
  using super::super;

  caf::resumable::resume_result resume(caf::execution_unit* host, size_t max) override {
    running_scope scope{this};
    return super::resume(host, max);
  }

private:
  // Whatever ends the resume, the pointer never outlives it.
  struct running_scope {
    void* outer;
    explicit running_scope(void* self) : outer(std::exchange(running_object, self)) {}
    ~running_scope() { running_object = outer; }
  };
};

/// In a handler of a shared behavior: the object it runs for.
template <class Self>
Self current() {
  return static_cast<Self>(running_object);
}

/// In a handler of a shared behavior: its object's state.
template <class Self>
auto& current_state() {
  return current<Self>()->state;
}

template <class Handle, class State>
struct object_self;

template <class State, class... Sigs>
struct object_self<caf::typed_actor<Sigs...>, State> {
  using type = object_actor<State, caf::io::typed_broker<Sigs...>>*;
};

/// The `self` pointer of an object actor with interface Handle.
template <class Handle, class State>
using object_self_t = typename object_self<Handle, State>::type;

template <class Handle, class State>
struct worker_self;

template <class State, class... Sigs>
struct worker_self<caf::typed_actor<Sigs...>, State> {
  using type = caf::stateful_actor<State, caf::typed_event_based_actor<Sigs...>>*;
};

/// The `self` pointer of an object actor on the scheduler's workers.
template <class Handle, class State>
using worker_self_t = typename worker_self<Handle, State>::type;

/// Spawns an object actor (see above) and returns its dynamically typed
/// handle, as the registry keeps them.
template <class F, class... Ts>
caf::actor spawn_object(caf::actor_system& sys, F fun, Ts&&... xs) {
  return caf::actor_cast<caf::actor>(sys.middleman().spawn_broker(fun, std::forward<Ts>(xs)...));
}

/// Spawns an object actor on the scheduler's workers (see above).
template <class F, class... Ts>
caf::actor spawn_on_workers(caf::actor_system& sys, F fun, Ts&&... xs) {
  return caf::actor_cast<caf::actor>(sys.spawn(fun, std::forward<Ts>(xs)...));
}

} // namespace cafman::detail
