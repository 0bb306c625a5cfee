#include "cafman/net/journal.hpp"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <iterator>

#include <fcntl.h>
#include <unistd.h>

#include <openssl/sha.h>

#include <caf/error.hpp>

#include "cafman/errors.hpp"
#include "cafman/value.hpp"
#include "cafman/net/lean_protocol.hpp"

namespace cafman::net {

namespace {

constexpr std::size_t checksum_size = 8;

std::uint64_t checksum(const char* data, std::size_t size) {
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(data), size, digest);
  return lean::get_u64(reinterpret_cast<const char*>(digest));
}

[[noreturn]] void fail(const std::string& what, const std::string& path) {
  throw error("cannot " + what + " the journal " + path + ": " + std::strerror(errno));
}

/// One framed record: length, checksum, the message.
std::vector<char> frame(caf::actor_system& sys, const caf::message& record) {
  std::vector<char> out;
  if (auto err = lean::append_frame(sys, out, {0}, record))
    throw error("cannot journal " + caf::to_string(record) + ": " + caf::to_string(err));
  constexpr auto body = lean::length_size + checksum_size;
  std::vector<char> sum;
  lean::put_u64(sum, checksum(out.data() + body, out.size() - body));
  std::copy(sum.begin(), sum.end(), out.begin() + lean::length_size);
  return out;
}

void write_all(int fd, const std::vector<char>& bytes, const std::string& path) {
  std::size_t done = 0;
  while (done < bytes.size()) {
    auto n = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0)
      fail("write to", path);
    done += static_cast<std::size_t>(n);
  }
}

void sync_file(int fd, const std::string& path) {
  if (::fdatasync(fd) != 0)
    fail("sync", path);
}

// A rename is durable once the directory holding it is synced.
void sync_directory_of(const std::string& path) {
  auto slash = path.rfind('/');
  auto dir = slash == std::string::npos ? std::string{"."} : path.substr(0, slash + 1);
  unique_fd fd{::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC)};
  if (!fd || ::fsync(fd.get()) != 0)
    fail("sync the directory of", path);
}

} // namespace

journal::journal(std::string path, unique_fd fd, std::size_t bytes, fsync_policy policy)
  : path_(std::move(path)), policy_(policy), fd_(std::move(fd)), bytes_(bytes) {
}

journal::contents journal::load(caf::actor_system& sys, const std::string& path) {
  std::ifstream in{path, std::ios::binary};
  if (!in)
    fail("read", path);
  std::vector<char> bytes{std::istreambuf_iterator<char>{in}, std::istreambuf_iterator<char>{}};
  contents result;
  std::size_t at = 0;
  auto header_size = lean::length_size + checksum_size;
  while (at < bytes.size()) {
    auto why_torn = [&]() -> std::string {
      if (bytes.size() - at < header_size)
        return "a record header cut short";
      auto length = lean::get_u32(bytes.data() + at);
      if (length < checksum_size || length > bytes.size() - at - lean::length_size)
        return "a record of " + std::to_string(length) + " bytes with "
               + std::to_string(bytes.size() - at - lean::length_size) + " left";
      auto body = bytes.data() + at + lean::length_size;
      auto end = at + lean::length_size + length;
      if (checksum(body + checksum_size, length - checksum_size) != lean::get_u64(body)) {
        // A crash tears the last record only: one with more after it means
        // the file was damaged, and cutting would drop acknowledged changes.
        if (end < bytes.size())
          throw error("the journal " + path + " is damaged at byte " + std::to_string(at)
                      + " (a record whose checksum does not match, "
                      + std::to_string(bytes.size() - end) + " bytes after it): move it away "
                      "to start without the object, or restore it from a backup");
        return "a record whose checksum does not match";
      }
      caf::message record;
      if (auto err = lean::read_message(sys, body, length, checksum_size, record))
        throw error("the journal " + path + " has a record at byte " + std::to_string(at)
                    + " that does not decode (" + caf::to_string(err) + "): was it written by "
                    "another version of cafman?");
      if (at == 0)
        result.header = std::move(record);
      else
        result.records.push_back(std::move(record));
      at += lean::length_size + length;
      return {};
    }();
    if (!why_torn.empty()) {
      result.torn = why_torn + " at byte " + std::to_string(at) + " ("
                    + std::to_string(bytes.size() - at) + " bytes dropped)";
      break;
    }
  }
  if (!result.header.match_elements<std::string, std::string, value>())
    throw error("the journal " + path + " has no valid header: "
                + (result.torn.empty() ? "its first record is not one" : result.torn));
  if (at < bytes.size() && ::truncate(path.c_str(), static_cast<off_t>(at)) != 0)
    fail("cut the torn end off", path);
  result.bytes = at;
  return result;
}

std::unique_ptr<journal> journal::create(caf::actor_system& sys, const std::string& path,
                                         const caf::message& header,
                                         const std::vector<caf::message>& records,
                                         fsync_policy policy) {
  auto temporary = path + ".new";
  std::size_t bytes = 0;
  {
    unique_fd fd{::open(temporary.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600)};
    if (!fd)
      fail("create", temporary);
    auto put = [&](const caf::message& record) {
      auto framed = frame(sys, record);
      write_all(fd.get(), framed, temporary);
      bytes += framed.size();
    };
    put(header);
    for (auto& record : records)
      put(record);
    sync_file(fd.get(), temporary);
  }
  if (::rename(temporary.c_str(), path.c_str()) != 0)
    fail("rename into place", temporary);
  sync_directory_of(path);
  return reopen(path, bytes, policy);
}

std::unique_ptr<journal> journal::reopen(const std::string& path, std::size_t bytes,
                                         fsync_policy policy) {
  unique_fd fd{::open(path.c_str(), O_WRONLY | O_APPEND | O_CLOEXEC)};
  if (!fd)
    fail("open", path);
  return std::unique_ptr<journal>{new journal(path, std::move(fd), bytes, policy)};
}

void journal::append(caf::actor_system& sys, const caf::message& record) {
  auto framed = frame(sys, record);
  std::lock_guard<std::mutex> guard{mtx_};
  if (!fd_)
    throw error("the journal " + path_ + " takes no more records (removed, or a write to it "
                "failed and could not be undone)");
  try {
    write_all(fd_.get(), framed, path_);
    if (policy_ == fsync_policy::always)
      sync_file(fd_.get(), path_);
  } catch (...) {
    // What a failed write left would cut off every later record at load.
    if (::ftruncate(fd_.get(), static_cast<off_t>(bytes_)) != 0)
      fd_.reset(); // the journal takes no more records
    throw;
  }
  bytes_ += framed.size();
  if (policy_ != fsync_policy::always)
    dirty_ = true;
}

void journal::sync() {
  std::lock_guard<std::mutex> guard{mtx_};
  if (fd_ && dirty_ && policy_ == fsync_policy::everysec) {
    dirty_ = false;
    ::fdatasync(fd_.get());
  }
}

std::size_t journal::bytes() const {
  std::lock_guard<std::mutex> guard{mtx_};
  return bytes_;
}

void journal::remove() {
  std::lock_guard<std::mutex> guard{mtx_};
  fd_.reset();
  ::unlink(path_.c_str());
}

} // namespace cafman::net
