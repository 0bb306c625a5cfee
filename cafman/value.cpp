#include "cafman/value.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <cstring>
#include <functional>
#include <ostream>

#include <caf/binary_deserializer.hpp>
#include <caf/deserializer.hpp>
#include <caf/error.hpp>
#include <caf/sec.hpp>
#include <caf/serializer.hpp>

#include "cafman/errors.hpp"

namespace cafman {

namespace {

// -- helpers shared by several operations -------------------------------------

template <class T>
int three_way(const T& x, const T& y) {
  return x < y ? -1 : (y < x ? 1 : 0);
}

std::string_view as_chars(const bytes_value& xs) noexcept {
  return {reinterpret_cast<const char*>(xs.data()), xs.size()};
}

// Error messages quote the offending value; a huge one would drown the point.
std::string short_repr(const value& x) {
  constexpr std::size_t max_len = 80;
  auto str = x.repr();
  if (str.size() > max_len) {
    str.resize(max_len);
    str += "...";
  }
  return str;
}

[[noreturn]] void throw_type_error(const char* expected, const value& actual) {
  throw type_error(std::string{"expected "} + expected + ", got "
                   + actual.type_name() + " (value: " + short_repr(actual)
                   + ")");
}

// -- numbers ------------------------------------------------------------------

// Numbers compare across bool, int and float; bool takes part as an int.
template <class T>
constexpr bool is_number_v = std::is_same_v<T, bool>
                             || std::is_same_v<T, std::int64_t>
                             || std::is_same_v<T, double>;

template <class T>
auto to_number(T x) noexcept {
  if constexpr (std::is_same_v<T, bool>)
    return std::int64_t{x};
  else
    return x;
}

bool is_nan(std::int64_t) noexcept {
  return false;
}

bool is_nan(double x) noexcept {
  return std::isnan(x);
}

int compare_numbers(std::int64_t x, std::int64_t y) noexcept {
  return three_way(x, y);
}

// NaN ranks above every number and equivalent to itself, which keeps the
// order strict weak (IEEE comparisons alone would make NaN equivalent to all).
int compare_numbers(double x, double y) noexcept {
  if (std::isnan(x) || std::isnan(y))
    return three_way(std::isnan(x), std::isnan(y));
  return three_way(x, y);
}

// Exact, like Python: converting x to double would round large ints and
// break transitivity (2^53 + 1 would equal 2^53 as a double).
int compare_numbers(std::int64_t x, double y) noexcept {
  constexpr double two_pow_63 = 9223372036854775808.0;
  if (std::isnan(y) || y >= two_pow_63)
    return -1;
  if (y < -two_pow_63)
    return 1;
  // Here y truncates into int64 exactly, and y - truncated is exact.
  auto truncated = static_cast<std::int64_t>(y);
  if (x != truncated)
    return three_way(x, truncated);
  return three_way(0.0, y - static_cast<double>(truncated));
}

int compare_numbers(double x, std::int64_t y) noexcept {
  return -compare_numbers(y, x);
}

// -- comparison of two alternatives of the same kind --------------------------

int compare_same(none_t, none_t) noexcept {
  return 0;
}

int compare_same(const std::string& x, const std::string& y) noexcept {
  return three_way(x.compare(y), 0);
}

int compare_same(const bytes_value& x, const bytes_value& y) noexcept {
  return three_way(as_chars(x).compare(as_chars(y)), 0);
}

int compare_same(const list_value& x, const list_value& y) {
  auto n = std::min(x.size(), y.size());
  for (std::size_t i = 0; i < n; ++i)
    if (auto res = x[i].compare(y[i]); res != 0)
      return res;
  return three_way(x.size(), y.size());
}

int compare_same(const dict_value& x, const dict_value& y) {
  if (x.size() != y.size())
    return three_way(x.size(), y.size());
  auto sorted_items = [](const dict_value& xs) {
    std::vector<const dict_value::entry*> result;
    result.reserve(xs.size());
    for (const auto& kvp : xs)
      result.push_back(&kvp);
    std::sort(result.begin(), result.end(),
              [](auto lhs, auto rhs) { return lhs->first < rhs->first; });
    return result;
  };
  auto xs = sorted_items(x);
  auto ys = sorted_items(y);
  for (std::size_t i = 0; i < xs.size(); ++i) {
    if (auto res = xs[i]->first.compare(ys[i]->first); res != 0)
      return res;
    if (auto res = xs[i]->second.compare(ys[i]->second); res != 0)
      return res;
  }
  return 0;
}

int compare_same(const object_reference& x, const object_reference& y) noexcept {
  return three_way(x.id(), y.id());
}

// Kinds that do not compare by content order by this rank.
int rank(kind k) noexcept {
  switch (k) {
    case kind::boolean:
    case kind::integer:
    case kind::floating:
      return static_cast<int>(kind::boolean);
    default:
      return static_cast<int>(k);
  }
}

// -- hashing ------------------------------------------------------------------

// The finalizer of splitmix64: spreads the bits of integers (whose std::hash
// is the identity) and of combined hashes.
std::size_t mix(std::uint64_t x) noexcept {
  x ^= x >> 30;
  x *= 0xbf58476d1ce4e5b9ULL;
  x ^= x >> 27;
  x *= 0x94d049bb133111ebULL;
  x ^= x >> 31;
  return static_cast<std::size_t>(x);
}

std::size_t combine(std::size_t seed, std::size_t x) noexcept {
  return mix(seed ^ (x + 0x9e3779b97f4a7c15ULL + (seed << 6) + (seed >> 2)));
}

std::size_t seed_of(kind k) noexcept {
  return mix(static_cast<std::uint64_t>(k) + 1);
}

struct hasher {
  std::size_t operator()(none_t) const noexcept {
    return seed_of(kind::none);
  }

  std::size_t operator()(bool x) const noexcept {
    return (*this)(std::int64_t{x});
  }

  std::size_t operator()(std::int64_t x) const noexcept {
    return mix(static_cast<std::uint64_t>(x));
  }

  // An integral double hashes as the equal int, since they compare equal.
  std::size_t operator()(double x) const noexcept {
    constexpr double two_pow_63 = 9223372036854775808.0;
    if (std::isnan(x))
      return seed_of(kind::floating);
    if (std::trunc(x) == x && x >= -two_pow_63 && x < two_pow_63)
      return (*this)(static_cast<std::int64_t>(x));
    return mix(std::hash<double>{}(x));
  }

  std::size_t operator()(const std::string& x) const noexcept {
    return combine(seed_of(kind::string), std::hash<std::string>{}(x));
  }

  std::size_t operator()(const bytes_value& x) const noexcept {
    return combine(seed_of(kind::bytes),
                   std::hash<std::string_view>{}(as_chars(x)));
  }

  std::size_t operator()(const list_value& xs) const noexcept {
    auto result = seed_of(kind::list);
    for (const auto& x : xs)
      result = combine(result, x.hash());
    return result;
  }

  // A sum does not depend on the order, like dict equality.
  std::size_t operator()(const dict_value& xs) const noexcept {
    std::size_t sum = 0;
    for (const auto& [key, val] : xs)
      sum += combine(key.hash(), val.hash());
    return combine(seed_of(kind::dict), sum);
  }

  std::size_t operator()(const object_reference& x) const noexcept {
    return combine(seed_of(kind::reference), mix(x.id()));
  }
};

// -- repr ---------------------------------------------------------------------

void append_hex_escape(std::string& out, unsigned char c) {
  constexpr const char* digits = "0123456789abcdef";
  out += "\\x";
  out += digits[c >> 4];
  out += digits[c & 0x0f];
}

// Python's quoting: single quotes unless the text holds ' but no ".
// `escape_high` escapes bytes >= 0x80 (bytes objects); str passes them through
// as the UTF-8 text they normally are.
void append_quoted(std::string& out, std::string_view text, bool escape_high) {
  auto quote = text.find('\'') != std::string_view::npos
                   && text.find('"') == std::string_view::npos
                 ? '"'
                 : '\'';
  out += quote;
  for (char ch : text) {
    auto c = static_cast<unsigned char>(ch);
    if (ch == quote || ch == '\\') {
      out += '\\';
      out += ch;
    } else if (ch == '\n') {
      out += "\\n";
    } else if (ch == '\r') {
      out += "\\r";
    } else if (ch == '\t') {
      out += "\\t";
    } else if (c < 0x20 || c == 0x7f || (escape_high && c >= 0x80)) {
      append_hex_escape(out, c);
    } else {
      out += ch;
    }
  }
  out += quote;
}

// A finite double as its shortest round-trip decimal digits (no point) and
// the decimal exponent of the first digit: 0.025 is {"25", -2}.
struct decimal {
  std::string digits;
  int exponent;
};

decimal shortest_decimal(double x) {
  std::array<char, 32> buf;
  auto res = std::to_chars(buf.data(), buf.data() + buf.size(), std::fabs(x),
                           std::chars_format::scientific);
  // Here, text is "D[.DDD]e(+|-)XX".
  std::string_view text{buf.data(),
                        static_cast<std::size_t>(res.ptr - buf.data())};
  auto e_pos = text.find('e');
  decimal result{std::string{text.substr(0, e_pos)}, 0};
  auto& digits = result.digits;
  digits.erase(std::remove(digits.begin(), digits.end(), '.'), digits.end());
  auto exp_text = text.substr(e_pos + 2);
  std::from_chars(exp_text.data(), exp_text.data() + exp_text.size(),
                  result.exponent);
  if (text[e_pos + 1] == '-')
    result.exponent = -result.exponent;
  return result;
}

// 1.5e+300, 1e-05: at least two exponent digits, as in C and Python.
void append_scientific(std::string& out, const decimal& x) {
  out += x.digits[0];
  if (x.digits.size() > 1) {
    out += '.';
    out.append(x.digits, 1);
  }
  out += x.exponent < 0 ? "e-" : "e+";
  auto magnitude = std::abs(x.exponent);
  if (magnitude < 10)
    out += '0';
  out += std::to_string(magnitude);
}

// 0.0001, 2.0, 123.25: always with a fractional part.
void append_fixed(std::string& out, decimal x) {
  if (x.exponent < 0) {
    out += "0.";
    out.append(static_cast<std::size_t>(-x.exponent - 1), '0');
    out += x.digits;
    return;
  }
  auto int_len = static_cast<std::size_t>(x.exponent) + 1;
  if (x.digits.size() < int_len)
    x.digits.append(int_len - x.digits.size(), '0');
  out.append(x.digits, 0, int_len);
  out += '.';
  out += x.digits.size() > int_len ? x.digits.substr(int_len) : "0";
}

// Python's repr(float): the shortest digits that round-trip, in fixed
// notation for decimal exponents -4..15 and in scientific notation otherwise.
void append_double(std::string& out, double x) {
  if (std::isnan(x)) {
    out += "nan";
    return;
  }
  if (std::signbit(x))
    out += '-';
  if (std::isinf(x)) {
    out += "inf";
    return;
  }
  auto dec = shortest_decimal(x);
  if (dec.exponent < -4 || dec.exponent >= 16)
    append_scientific(out, dec);
  else
    append_fixed(out, std::move(dec));
}

struct repr_writer {
  std::string& out;

  void operator()(none_t) const {
    out += "None";
  }

  void operator()(bool x) const {
    out += x ? "True" : "False";
  }

  void operator()(std::int64_t x) const {
    out += std::to_string(x);
  }

  void operator()(double x) const {
    append_double(out, x);
  }

  void operator()(const std::string& x) const {
    append_quoted(out, x, false);
  }

  void operator()(const bytes_value& x) const {
    out += 'b';
    append_quoted(out, as_chars(x), true);
  }

  void operator()(const list_value& xs) const {
    out += '[';
    for (std::size_t i = 0; i < xs.size(); ++i) {
      if (i > 0)
        out += ", ";
      xs[i].visit(*this);
    }
    out += ']';
  }

  void operator()(const dict_value& xs) const {
    out += '{';
    auto first = true;
    for (const auto& [key, val] : xs) {
      if (!first)
        out += ", ";
      first = false;
      key.visit(*this);
      out += ": ";
      val.visit(*this);
    }
    out += '}';
  }

  void operator()(const object_reference& x) const {
    out += '<' + x.type_id() + " object " + std::to_string(x.id()) + '>';
  }
};

// -- wire format --------------------------------------------------------------

// The binder of this thread's current (de)serialization, if any.
thread_local reference_binder* current_binder = nullptr;

// See take_save_failure() and take_load_failure().
thread_local caf::error save_failure;
thread_local caf::error load_failure;

// CAF's binary serializer writes sequence sizes as 32-bit numbers.
constexpr std::size_t max_wire_size = std::numeric_limits<std::uint32_t>::max();

caf::error check_depth(std::size_t depth) {
  return depth > max_value_depth ? value_too_deep() : caf::none;
}

std::uint64_t to_bits(double x) noexcept {
  std::uint64_t result;
  std::memcpy(&result, &x, sizeof(result));
  return result;
}

double from_bits(std::uint64_t x) noexcept {
  double result;
  std::memcpy(&result, &x, sizeof(result));
  return result;
}

caf::error save_size(caf::serializer& f, std::size_t size) {
  if (size > max_wire_size)
    return caf::make_error(caf::sec::invalid_argument,
                           "cafman::value too large for the wire");
  return f.begin_sequence(size);
}

// Strings and bytes share one encoding: a size, then the raw bytes.
caf::error save_blob(caf::serializer& f, std::string_view data) {
  if (auto err = save_size(f, data.size()))
    return err;
  // A serializer only reads through this pointer.
  auto ptr = const_cast<char*>(data.data());
  if (!data.empty())
    if (auto err = f.apply_raw(data.size(), ptr))
      return err;
  return f.end_sequence();
}

caf::error save(caf::serializer& f, const value& x, std::size_t depth);

struct saver {
  caf::serializer& f;
  std::size_t depth;

  caf::error operator()(none_t) const {
    return caf::none;
  }

  caf::error operator()(bool x) const {
    return f(x);
  }

  caf::error operator()(std::int64_t x) const {
    return f(x);
  }

  // CAF's own double encoding loops forever on infinity and garbles NaN, so
  // doubles travel as their IEEE 754 bit pattern.
  caf::error operator()(double x) const {
    return f(to_bits(x));
  }

  caf::error operator()(const std::string& x) const {
    return save_blob(f, x);
  }

  caf::error operator()(const bytes_value& x) const {
    return save_blob(f, as_chars(x));
  }

  caf::error operator()(const list_value& xs) const {
    if (auto err = check_depth(depth + 1))
      return err;
    if (auto err = save_size(f, xs.size()))
      return err;
    for (const auto& x : xs)
      if (auto err = save(f, x, depth + 1))
        return err;
    return f.end_sequence();
  }

  caf::error operator()(const dict_value& xs) const {
    if (auto err = check_depth(depth + 1))
      return err;
    if (auto err = save_size(f, xs.size()))
      return err;
    for (const auto& [key, val] : xs) {
      if (auto err = save(f, key, depth + 1))
        return err;
      if (auto err = save(f, val, depth + 1))
        return err;
    }
    return f.end_sequence();
  }

  caf::error operator()(const object_reference& x) const {
    if (current_binder)
      if (auto err = current_binder->on_write(x))
        return err;
    auto id = x.id();
    if (auto err = f(id))
      return err;
    return save_blob(f, x.type_id());
  }
};

// `depth` counts the containers around x.
caf::error save(caf::serializer& f, const value& x, std::size_t depth) {
  if (auto err = f(static_cast<std::uint8_t>(x.type())))
    return err;
  return x.visit(saver{f, depth});
}

caf::error load(caf::deserializer& f, value& x, std::size_t depth);

template <class T>
caf::error load_primitive(caf::deserializer& f, value& x) {
  T tmp{};
  if (auto err = f(tmp))
    return err;
  x = tmp;
  return caf::none;
}

caf::error load_double(caf::deserializer& f, value& x) {
  std::uint64_t bits = 0;
  if (auto err = f(bits))
    return err;
  x = from_bits(bits);
  return caf::none;
}

// The size comes from the peer: grow the buffer chunk by chunk as the bytes
// actually arrive, so that a forged size fails at the end of the input
// instead of allocating gigabytes up front. Where the whole input is in
// memory (every frame is) and holds that many bytes, the room is made at
// once: no more than the input, and no copy per chunk of a large blob.
template <class Blob>
caf::error load_blob(caf::deserializer& f, value& x) {
  constexpr std::size_t chunk_size = 64 * 1024;
  std::size_t size = 0;
  if (auto err = f.begin_sequence(size))
    return err;
  Blob blob;
  if (auto in_memory = dynamic_cast<caf::binary_deserializer*>(&f);
      in_memory && size <= in_memory->remaining())
    blob.reserve(size);
  while (blob.size() < size) {
    auto offset = blob.size();
    auto len = std::min(chunk_size, size - offset);
    blob.resize(offset + len);
    if (auto err = f.apply_raw(len, &blob[offset]))
      return err;
  }
  x = std::move(blob);
  return f.end_sequence();
}

// No reserve() in the container loaders, for the same reason as above.
caf::error load_list(caf::deserializer& f, value& x, std::size_t depth) {
  if (auto err = check_depth(depth))
    return err;
  std::size_t size = 0;
  if (auto err = f.begin_sequence(size))
    return err;
  list_value xs;
  for (std::size_t i = 0; i < size; ++i)
    if (auto err = load(f, xs.emplace_back(), depth))
      return err;
  x = std::move(xs);
  return f.end_sequence();
}

// A repeated key keeps the last value, as Python's dict() does.
caf::error load_dict(caf::deserializer& f, value& x, std::size_t depth) {
  if (auto err = check_depth(depth))
    return err;
  std::size_t size = 0;
  if (auto err = f.begin_sequence(size))
    return err;
  dict_value xs;
  for (std::size_t i = 0; i < size; ++i) {
    value key;
    value val;
    if (auto err = load(f, key, depth))
      return err;
    if (auto err = load(f, val, depth))
      return err;
    xs.insert_or_assign(std::move(key), std::move(val));
  }
  x = std::move(xs);
  return f.end_sequence();
}

caf::error load_reference(caf::deserializer& f, value& x) {
  std::uint64_t id = 0;
  if (auto err = f(id))
    return err;
  value type_id;
  if (auto err = load_blob<std::string>(f, type_id))
    return err;
  auto keeper = current_binder ? current_binder->on_read(id, type_id.as_string()) : nullptr;
  x = object_reference{id, type_id.as_string(), std::move(keeper)};
  return caf::none;
}

caf::error load(caf::deserializer& f, value& x, std::size_t depth) {
  std::uint8_t tag = 0;
  if (auto err = f(tag))
    return err;
  switch (static_cast<kind>(tag)) {
    case kind::none:
      x = none;
      return caf::none;
    case kind::boolean:
      return load_primitive<bool>(f, x);
    case kind::integer:
      return load_primitive<std::int64_t>(f, x);
    case kind::floating:
      return load_double(f, x);
    case kind::string:
      return load_blob<std::string>(f, x);
    case kind::bytes:
      return load_blob<bytes_value>(f, x);
    case kind::list:
      return load_list(f, x, depth + 1);
    case kind::dict:
      return load_dict(f, x, depth + 1);
    case kind::reference:
      return load_reference(f, x);
    default:
      return caf::make_error(caf::sec::invalid_argument,
                             "unknown cafman::value tag",
                             static_cast<int>(tag));
  }
}

} // namespace

// -- dict_value ---------------------------------------------------------------

namespace {

// Keys are found through references to the keys stored in the entries, so
// each key is stored once. Like Python, equality starts with identity: that is
// how an entry whose key is NaN finds its own index slot when it is removed.
struct key_hash {
  std::size_t operator()(const value& x) const noexcept {
    return x.hash();
  }
};

struct key_equal {
  bool operator()(const value& x, const value& y) const {
    return &x == &y || x == y;
  }
};

} // namespace

struct dict_value::impl {
  std::list<entry> entries;
  std::unordered_map<std::reference_wrapper<const value>, iterator, key_hash,
                     key_equal>
    index;

  impl() = default;

  impl(const impl& other) {
    for (const auto& [key, val] : other.entries)
      append(key, val);
  }

  impl& operator=(const impl&) = delete;

  iterator lookup(const value& key) {
    auto i = index.find(key);
    return i != index.end() ? i->second : entries.end();
  }

  value& append(value key, value val) {
    auto& kvp = entries.emplace_back(std::move(key), std::move(val));
    index.emplace(kvp.first, std::prev(entries.end()));
    return kvp.second;
  }

  void remove(iterator i) {
    index.erase(i->first);
    entries.erase(i);
  }
};

dict_value::dict_value() noexcept = default;

dict_value::dict_value(std::initializer_list<std::pair<value, value>> items) {
  for (const auto& [key, val] : items)
    insert_or_assign(key, val);
}

dict_value::dict_value(const dict_value& other)
  : impl_(other.impl_ ? std::make_unique<impl>(*other.impl_) : nullptr) {
  // nop
}

dict_value::dict_value(dict_value&& other) noexcept = default;

dict_value& dict_value::operator=(const dict_value& other) {
  if (this != &other)
    *this = dict_value{other};
  return *this;
}

dict_value& dict_value::operator=(dict_value&& other) noexcept = default;

dict_value::~dict_value() = default;

dict_value::impl& dict_value::self() {
  if (!impl_)
    impl_ = std::make_unique<impl>();
  return *impl_;
}

std::size_t dict_value::size() const noexcept {
  return impl_ ? impl_->entries.size() : 0;
}

bool dict_value::empty() const noexcept {
  return size() == 0;
}

bool dict_value::contains(const value& key) const {
  return find(key) != nullptr;
}

value* dict_value::find(const value& key) {
  if (!impl_)
    return nullptr;
  auto i = impl_->lookup(key);
  return i != impl_->entries.end() ? &i->second : nullptr;
}

const value* dict_value::find(const value& key) const {
  return const_cast<dict_value*>(this)->find(key);
}

dict_value::const_iterator dict_value::position(const value& key) const {
  return impl_ ? const_iterator{impl_->lookup(key)} : end();
}

value& dict_value::operator[](const value& key) {
  if (auto ptr = find(key))
    return *ptr;
  return self().append(key, none);
}

value& dict_value::at(const value& key) {
  if (auto ptr = find(key))
    return *ptr;
  throw key_error("key not found: " + short_repr(key));
}

const value& dict_value::at(const value& key) const {
  return const_cast<dict_value*>(this)->at(key);
}

bool dict_value::insert_or_assign(value key, value val) {
  if (auto ptr = find(key)) {
    *ptr = std::move(val);
    return false;
  }
  self().append(std::move(key), std::move(val));
  return true;
}

bool dict_value::erase(const value& key) {
  if (!impl_)
    return false;
  auto i = impl_->lookup(key);
  if (i == impl_->entries.end())
    return false;
  impl_->remove(i);
  return true;
}

std::pair<value, value> dict_value::pop_last() {
  if (empty())
    throw key_error("popitem(): dictionary is empty");
  auto last = std::prev(impl_->entries.end());
  // The key is const inside the entry, so it is copied; the value moves.
  std::pair<value, value> result{last->first, std::move(last->second)};
  impl_->remove(last);
  return result;
}

void dict_value::clear() noexcept {
  impl_.reset();
}

// Default and moved-from dicts have no impl; value-initialized list iterators
// compare equal, which makes their range empty.
dict_value::iterator dict_value::begin() noexcept {
  return impl_ ? impl_->entries.begin() : iterator{};
}

dict_value::iterator dict_value::end() noexcept {
  return impl_ ? impl_->entries.end() : iterator{};
}

dict_value::const_iterator dict_value::begin() const noexcept {
  return impl_ ? impl_->entries.cbegin() : const_iterator{};
}

dict_value::const_iterator dict_value::end() const noexcept {
  return impl_ ? impl_->entries.cend() : const_iterator{};
}

bool operator==(const dict_value& x, const dict_value& y) {
  if (x.size() != y.size())
    return false;
  return std::all_of(x.begin(), x.end(), [&y](const dict_value::entry& kvp) {
    auto other = y.find(kvp.first);
    return other != nullptr && *other == kvp.second;
  });
}

// -- value: construction ------------------------------------------------------

void detail::throw_out_of_range(const std::string& number, std::size_t bits,
                                bool is_signed) {
  throw value_error("int " + number + " does not fit in "
                    + (is_signed ? "a signed " : "an unsigned ")
                    + std::to_string(bits) + "-bit integer");
}

value::value(const char* x) {
  if (x == nullptr)
    throw value_error("cannot make a cafman::value from a null const char*");
  data_.emplace<std::string>(x);
}

value::value(std::string x) noexcept
  : data_(std::in_place_type<std::string>, std::move(x)) {
  // nop
}

value::value(std::string_view x)
  : data_(std::in_place_type<std::string>, x) {
  // nop
}

value::value(bytes_value x) noexcept
  : data_(std::in_place_type<bytes_value>, std::move(x)) {
  // nop
}

value::value(list_value x) noexcept
  : data_(std::in_place_type<list_value>, std::move(x)) {
  // nop
}

value::value(dict_value x) noexcept
  : data_(std::in_place_type<dict_value>, std::move(x)) {
  // nop
}

value::value(object_reference x) noexcept
  : data_(std::in_place_type<object_reference>, std::move(x)) {
  // nop
}

// -- value: queries and typed access ------------------------------------------

const char* value::type_name() const noexcept {
  static constexpr const char* names[] = {"NoneType", "bool", "int",  "float", "str",
                                          "bytes",    "list", "dict", "proxy"};
  return names[data_.index()];
}

bool value::truthy() const noexcept {
  switch (type()) {
    case kind::none:
      return false;
    case kind::boolean:
      return std::get<bool>(data_);
    case kind::integer:
      return std::get<std::int64_t>(data_) != 0;
    case kind::floating:
      return std::get<double>(data_) != 0.0; // NaN != 0.0: true, as in Python
    case kind::string:
      return !std::get<std::string>(data_).empty();
    case kind::bytes:
      return !std::get<bytes_value>(data_).empty();
    case kind::list:
      return !as_list().empty();
    case kind::dict:
      return !as_dict().empty();
    case kind::reference:
      return true;
  }
  return true;
}

bool value::as_bool() const {
  if (!is_bool())
    throw_type_error("bool", *this);
  return std::get<bool>(data_);
}

std::int64_t value::as_int() const {
  if (is_bool())
    return std::get<bool>(data_);
  if (!is_int())
    throw_type_error("int", *this);
  return std::get<std::int64_t>(data_);
}

double value::as_double() const {
  if (is_double())
    return std::get<double>(data_);
  if (!is_int() && !is_bool())
    throw_type_error("float", *this);
  return static_cast<double>(as_int());
}

const std::string& value::as_string() const& {
  if (!is_string())
    throw_type_error("str", *this);
  return std::get<std::string>(data_);
}

std::string value::as_string() && {
  as_string(); // checks the kind
  return std::move(std::get<std::string>(data_));
}

const bytes_value& value::as_bytes() const& {
  if (!is_bytes())
    throw_type_error("bytes", *this);
  return std::get<bytes_value>(data_);
}

bytes_value value::as_bytes() && {
  as_bytes(); // checks the kind
  return std::move(std::get<bytes_value>(data_));
}

list_value& value::as_list() & {
  if (!is_list())
    throw_type_error("list", *this);
  return std::get<list_value>(data_);
}

const list_value& value::as_list() const& {
  return const_cast<value*>(this)->as_list();
}

list_value value::as_list() && {
  return std::move(as_list());
}

dict_value& value::as_dict() & {
  if (!is_dict())
    throw_type_error("dict", *this);
  return std::get<dict_value>(data_);
}

const dict_value& value::as_dict() const& {
  return const_cast<value*>(this)->as_dict();
}

dict_value value::as_dict() && {
  return std::move(as_dict());
}

const object_reference& value::as_reference() const {
  if (!is_reference())
    throw_type_error("proxy", *this);
  return std::get<object_reference>(data_);
}

// -- value: comparison, hashing, printing -------------------------------------

int value::compare(const value& other) const {
  return std::visit(
    [this, &other](const auto& x, const auto& y) -> int {
      using x_type = std::decay_t<decltype(x)>;
      using y_type = std::decay_t<decltype(y)>;
      if constexpr (is_number_v<x_type> && is_number_v<y_type>)
        return compare_numbers(to_number(x), to_number(y));
      else if constexpr (std::is_same_v<x_type, y_type>)
        return compare_same(x, y);
      else
        return three_way(rank(type()), rank(other.type()));
    },
    data_, other.data_);
}

bool operator==(const value& x, const value& y) {
  return std::visit(
    [](const auto& lhs, const auto& rhs) {
      using x_type = std::decay_t<decltype(lhs)>;
      using y_type = std::decay_t<decltype(rhs)>;
      if constexpr (is_number_v<x_type> && is_number_v<y_type>)
        return !is_nan(to_number(lhs))
               && compare_numbers(to_number(lhs), to_number(rhs)) == 0;
      else if constexpr (std::is_same_v<x_type, y_type>)
        return lhs == rhs;
      else
        return false;
    },
    x.data_, y.data_);
}

std::size_t value::hash() const noexcept {
  return visit(hasher{});
}

std::string value::repr() const {
  std::string result;
  visit(repr_writer{result});
  return result;
}

std::ostream& operator<<(std::ostream& out, const value& x) {
  return out << x.repr();
}

std::string to_string(const value& x) {
  return x.repr();
}

// -- value: serialization -----------------------------------------------------

caf::error value_too_deep() {
  return caf::make_error(caf::sec::invalid_argument, "cafman::value nested deeper than "
                                                       + std::to_string(max_value_depth)
                                                       + " levels");
}

caf::error inspect(caf::serializer& f, value& x) {
  auto err = save(f, x, 0);
  if (err)
    save_failure = err;
  return err;
}

caf::error take_save_failure() {
  return std::exchange(save_failure, caf::error{});
}

caf::error inspect(caf::deserializer& f, value& x) {
  auto err = load(f, x, 0);
  if (err)
    load_failure = err;
  return err;
}

caf::error take_load_failure() {
  return std::exchange(load_failure, caf::error{});
}

binder_scope::binder_scope(reference_binder& binder) noexcept
  : previous_(std::exchange(current_binder, &binder)) {
}

binder_scope::~binder_scope() {
  current_binder = previous_;
}

} // namespace cafman
