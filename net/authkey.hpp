#pragma once

// The shared secret that gates a manager's socket (Python's `authkey`).
// A key is never empty: every factory refuses an empty secret, because an
// empty HMAC key would let anyone pass the handshake.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace cafman {

/// `n` cryptographically strong random bytes from OpenSSL's generator.
/// Throws cafman::error if OpenSSL cannot produce them.
std::vector<std::uint8_t> random_bytes(std::size_t n);

/// Secret key bytes, a value type. It has no operator== on purpose: keys are
/// only ever compared through HMAC proofs, in constant time, by the
/// handshake. Error messages never contain the key itself.
class authkey {
public:
  /// `n` random bytes (OpenSSL RAND_bytes); 32 bytes is as strong as SHA-256.
  static authkey random(std::size_t n = 32);

  /// The bytes of `text` as they are.
  static authkey from_string(std::string_view text);

  /// The whole contents of the file at `path`, minus one trailing newline
  /// (so `echo secret > key` works). Throws cafman::error naming the file
  /// when it is missing, unreadable or empty, or when group or others may
  /// access it (the message says `chmod 600 FILE`).
  static authkey from_file(const std::string& path);

  /// The value of environment variable `var` as text (like from_string), or
  /// nullopt if it is not set. Throws cafman::value_error if it is set but
  /// empty. To hand a random key to a child process, put `to_hex()` into a
  /// variable of your own and read it back with `from_hex`.
  static std::optional<authkey> from_env(const char* var = "CAFMAN_AUTHKEY");

  /// What a program's `--authkey-file` option says: the file's key when a
  /// path is given (from_file), else the environment's (from_env), else
  /// nullopt, for the program to report as its usage error.
  static std::optional<authkey> from_file_or_env(const std::optional<std::string>& path,
                                                 const char* var = "CAFMAN_AUTHKEY");

  /// Parses lower- or upper-case hex, two digits per byte. Throws
  /// cafman::value_error on an odd length, a non-hex character or no digits.
  static authkey from_hex(std::string_view hex);

  const std::vector<std::uint8_t>& bytes() const { return bytes_; }

  /// True only for a moved-from key: no factory makes an empty one.
  bool empty() const { return bytes_.empty(); }

  /// Lower-case hex, two digits per byte.
  std::string to_hex() const;

private:
  explicit authkey(std::vector<std::uint8_t> bytes);

  std::vector<std::uint8_t> bytes_;
};

} // namespace cafman
