#include "cafman/net/authkey.hpp"

#include <cerrno>
#include <climits>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <utility>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/rand.h>

#include "cafman/errors.hpp"
#include "cafman/net/socket.hpp"

namespace cafman {

namespace {

constexpr char hex_digits[] = "0123456789abcdef";

int hex_value(char c) {
  if (c >= '0' && c <= '9')
    return c - '0';
  if (c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  if (c >= 'A' && c <= 'F')
    return c - 'A' + 10;
  return -1;
}

std::vector<std::uint8_t> to_bytes(std::string_view text) {
  return {text.begin(), text.end()};
}

// Strips "\n" or "\r\n" once: editors and `echo` add one, and a key that
// differs from the other side's by a newline fails authentication silently.
void strip_one_newline(std::vector<std::uint8_t>& bytes) {
  if (bytes.empty() || bytes.back() != '\n')
    return;
  bytes.pop_back();
  if (!bytes.empty() && bytes.back() == '\r')
    bytes.pop_back();
}

[[noreturn]] void throw_file_error(const std::string& path, int err) {
  throw error("cannot read authkey file '" + path + "': " + std::strerror(err));
}

// A key others can read is no secret (ssh and Python's tools refuse such
// files too). Checked on the opened file, so a rename cannot slip past;
// only regular files have a mode that means something here.
void check_private(int fd, const std::string& path) {
  struct stat st {};
  if (::fstat(fd, &st) != 0)
    throw_file_error(path, errno);
  if (S_ISREG(st.st_mode) && (st.st_mode & (S_IRWXG | S_IRWXO)) != 0) {
    char mode[8];
    std::snprintf(mode, sizeof mode, "%04o", static_cast<unsigned>(st.st_mode & 07777));
    throw error("authkey file '" + path + "' is accessible by group or others (mode "
                + mode + "): run chmod 600 " + path);
  }
}

// Plain read(2) rather than iostreams: errno tells the user exactly why
// (missing, permission denied, is a directory).
std::vector<std::uint8_t> read_whole_file(const std::string& path) {
  net::unique_fd fd{::open(path.c_str(), O_RDONLY | O_CLOEXEC)};
  if (!fd)
    throw_file_error(path, errno);
  check_private(fd.get(), path);
  std::vector<std::uint8_t> contents;
  std::uint8_t chunk[4096];
  for (;;) {
    auto n = ::read(fd.get(), chunk, sizeof chunk);
    if (n == 0)
      return contents;
    if (n > 0)
      contents.insert(contents.end(), chunk, chunk + n);
    else if (errno != EINTR)
      throw_file_error(path, errno);
  }
}

} // namespace

std::vector<std::uint8_t> random_bytes(std::size_t n) {
  if (n > static_cast<std::size_t>(INT_MAX))
    throw value_error("cannot draw " + std::to_string(n)
                      + " random bytes at once");
  std::vector<std::uint8_t> bytes(n);
  if (RAND_bytes(bytes.data(), static_cast<int>(n)) != 1)
    throw error("OpenSSL's random generator failed (RAND_bytes)");
  return bytes;
}

authkey::authkey(std::vector<std::uint8_t> bytes) : bytes_(std::move(bytes)) {
  if (bytes_.empty())
    throw value_error("an authkey must not be empty");
}

authkey authkey::random(std::size_t n) {
  if (n == 0)
    throw value_error("an authkey must not be empty (random key of 0 bytes)");
  return authkey{random_bytes(n)};
}

authkey authkey::from_string(std::string_view text) {
  return authkey{to_bytes(text)};
}

authkey authkey::from_file(const std::string& path) {
  auto contents = read_whole_file(path);
  strip_one_newline(contents);
  if (contents.empty())
    throw error("authkey file '" + path + "' is empty");
  return authkey{std::move(contents)};
}

std::optional<authkey> authkey::from_env(const char* var) {
  const char* value = std::getenv(var);
  if (value == nullptr)
    return std::nullopt;
  if (*value == '\0')
    throw value_error(std::string{"environment variable "} + var
                      + " is set but empty: an authkey must not be empty");
  return authkey{to_bytes(value)};
}

std::optional<authkey> authkey::from_file_or_env(const std::optional<std::string>& path,
                                                 const char* var) {
  if (path)
    return from_file(*path);
  return from_env(var);
}

authkey authkey::from_hex(std::string_view hex) {
  if (hex.empty())
    throw value_error("bad hex authkey: no digits (an authkey must not be empty)");
  if (hex.size() % 2 != 0)
    throw value_error("bad hex authkey: odd number of digits ("
                      + std::to_string(hex.size()) + ")");
  std::vector<std::uint8_t> bytes;
  bytes.reserve(hex.size() / 2);
  for (std::size_t i = 0; i < hex.size(); i += 2) {
    int high = hex_value(hex[i]);
    int low = hex_value(hex[i + 1]);
    if (high < 0 || low < 0)
      // Names the position only: the text around it is secret.
      throw value_error("bad hex authkey: non-hex character at position "
                        + std::to_string(high < 0 ? i : i + 1));
    bytes.push_back(static_cast<std::uint8_t>(high << 4 | low));
  }
  return authkey{std::move(bytes)};
}

std::string authkey::to_hex() const {
  std::string hex;
  hex.reserve(bytes_.size() * 2);
  for (auto byte : bytes_) {
    hex.push_back(hex_digits[byte >> 4]);
    hex.push_back(hex_digits[byte & 0x0F]);
  }
  return hex;
}

} // namespace cafman
