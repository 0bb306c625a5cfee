#pragma once

// The one exception hierarchy of cafman's client side. Every failure a proxy
// reports is a `cafman::error`; catch a subclass for the cases a program can
// handle (a missing key, a timeout, a lost connection).

#include <stdexcept>
#include <string>

namespace cafman {

/// Root of every exception cafman throws.
class error : public std::runtime_error {
public:
  using std::runtime_error::runtime_error;
};

/// The manager cannot be reached: connecting failed, or the connection was
/// lost (the manager process died or shut down).
class connection_error : public error {
public:
  using error::error;
};

/// The manager refused our authkey, or proved it does not know it.
class auth_error : public connection_error {
public:
  using connection_error::connection_error;
};

/// A call did not complete within its deadline.
class timeout_error : public error {
public:
  using error::error;
};

/// A value had another type than the operation needs (Python's TypeError).
class type_error : public error {
public:
  using error::error;
};

/// A mapping has no such key (Python's KeyError).
class key_error : public error {
public:
  using error::error;
};

/// A sequence index is out of range (Python's IndexError).
class index_error : public error {
public:
  using error::error;
};

/// An argument has the right type but a bad value (Python's ValueError).
class value_error : public error {
public:
  using error::error;
};

/// The call would make the manager pass one of its limits (elements one
/// operation creates, calls waiting on one object): nothing was changed.
/// A value_error, as Python's managers raise ValueError or MemoryError.
class limit_error : public value_error {
public:
  using value_error::value_error;
};

/// An object has no such attribute (Python's AttributeError).
class attribute_error : public error {
public:
  using error::error;
};

/// A non-blocking or timed `get` found the queue empty (Python's queue.Empty).
class queue_empty : public error {
public:
  using error::error;
};

/// A non-blocking or timed `put` found the queue full (Python's queue.Full).
class queue_full : public error {
public:
  using error::error;
};

/// A barrier was aborted, reset, or broken by a waiter's timeout or crash
/// while this caller waited on it (Python's threading.BrokenBarrierError).
class broken_barrier : public error {
public:
  using error::error;
};

/// A lock, rlock or condition was released (or waited on) by a caller that
/// does not hold it (Python raises RuntimeError).
class lock_error : public error {
public:
  using error::error;
};

/// A dict or set changed size while a live walk over it (`for (auto& k :
/// d.iter())`) was under way (Python's RuntimeError "dictionary changed size
/// during iteration"); walk a snapshot (iter_snapshot) to allow changes.
class iteration_error : public error {
public:
  using error::error;
};

/// Python's StopIteration: a method of a custom class throws it to say its
/// iteration is over; the caller gets it back, and custom_proxy::iterate
/// ends there.
class stop_iteration : public error {
public:
  using error::error;
};

/// The manager failed the call for a reason of its own (unknown object or
/// type id, the object is gone, the manager is shutting down).
class remote_error : public error {
public:
  using error::error;
};

} // namespace cafman
