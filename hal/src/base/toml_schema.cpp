#include "edgert/base/toml_schema.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <functional>
#include <sstream>

namespace edgert {

namespace {

// Closes the descriptor it owns when it goes out of scope.
class FileDescriptor {
 public:
  explicit FileDescriptor(int fd) : fd_(fd) {}
  FileDescriptor(const FileDescriptor&) = delete;
  FileDescriptor& operator=(const FileDescriptor&) = delete;
  ~FileDescriptor() {
    if (fd_ >= 0) ::close(fd_);
  }
  int get() const { return fd_; }

 private:
  int fd_;
};

Error parseErrorOf(const toml::parse_error& error, std::string_view sourceName) {
  const toml::source_position where = error.source().begin;
  return makeError(Errc::kParse, "{}:{}:{}: {}", sourceName, where.line, where.column,
                   error.description());
}

// Appends `text` as a TOML basic string: quoted, with quotes, backslashes and control
// characters escaped.
void appendQuoted(std::string& out, std::string_view text) {
  out += '"';
  for (const char c : text) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\t': out += "\\t"; break;
      case '\r': out += "\\r"; break;
      default:
        if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
          out += fmt::format("\\u{:04X}", static_cast<unsigned>(static_cast<unsigned char>(c)));
        } else {
          out += c;
        }
    }
  }
  out += '"';
}

std::string quoted(std::string_view text) {
  std::string out;
  appendQuoted(out, text);
  return out;
}

// Long strings are cut so that one bad value cannot flood a message.
constexpr std::size_t kMaxShownStringChars = 60;

std::string describeString(std::string_view text) {
  if (text.size() <= kMaxShownStringChars) return quoted(text);
  std::size_t cut = kMaxShownStringChars;
  // Do not cut a UTF-8 sequence in half.
  while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) --cut;
  return quoted(text.substr(0, cut)) + "...";
}

std::string describeInteger(const toml::value<std::int64_t>& value) {
  const std::int64_t number = value.get();
  if (number >= 0) {
    const auto base = static_cast<toml::value_flags>(
        static_cast<unsigned>(value.flags()) & 3u);  // the integer format bits
    if (base == toml::value_flags::format_as_hexadecimal) return fmt::format("{:#04x}", number);
    if (base == toml::value_flags::format_as_octal) return fmt::format("0o{:o}", number);
    if (base == toml::value_flags::format_as_binary) return fmt::format("0b{:b}", number);
  }
  return fmt::format("{}", number);
}

std::string describeFloat(double number) {
  std::string text = fmt::format("{}", number);
  // fmt writes 4.0 as "4"; a float must look like one.
  if (std::isfinite(number) && text.find_first_of(".e") == std::string::npos) text += ".0";
  return text;
}

template <typename T>
std::string streamed(const T& value) {
  std::ostringstream out;
  out << value;
  return out.str();
}

std::string formatBound(std::int64_t bound, bool hex) {
  if (hex && bound >= 0) return fmt::format("{:#04x}", bound);
  return fmt::format("{}", bound);
}

std::string intExpectation(IntRange range) {
  return fmt::format("an integer in {}..{}", formatBound(range.min, range.hex),
                     formatBound(range.max, range.hex));
}

std::string floatExpectation(FloatRange range) {
  return fmt::format("a float in {}..{}", describeFloat(range.min), describeFloat(range.max));
}

std::string enumExpectation(std::span<const std::string_view> names) {
  std::string text = "one of ";
  for (std::size_t i = 0; i < names.size(); ++i) {
    if (i > 0) text += ", ";
    appendQuoted(text, names[i]);
  }
  return text;
}

char lowered(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

// Edit distance counting an insertion, deletion, substitution or swap of two neighbours as
// one edit (optimal string alignment), case-insensitive. Keys are short: a full table is fine.
std::size_t editDistance(std::string_view a, std::string_view b) {
  const std::size_t columns = b.size() + 1;
  std::vector<std::size_t> d((a.size() + 1) * columns);
  const auto at = [&](std::size_t i, std::size_t j) -> std::size_t& { return d[i * columns + j]; };
  for (std::size_t i = 0; i <= a.size(); ++i) at(i, 0) = i;
  for (std::size_t j = 0; j <= b.size(); ++j) at(0, j) = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t cost = lowered(a[i - 1]) == lowered(b[j - 1]) ? 0 : 1;
      at(i, j) = std::min({at(i - 1, j) + 1, at(i, j - 1) + 1, at(i - 1, j - 1) + cost});
      if (i > 1 && j > 1 && lowered(a[i - 1]) == lowered(b[j - 2]) &&
          lowered(a[i - 2]) == lowered(b[j - 1])) {
        at(i, j) = std::min(at(i, j), at(i - 2, j - 2) + 1);
      }
    }
  }
  return at(a.size(), b.size());
}

// The allowed key closest to an unknown one, when it is close enough to be a typo: at most
// a third of the key's length in edits (1 to 3), and never a whole key replaced ("z" is no
// typo of "y").
std::optional<std::string_view> closestKey(std::string_view unknown,
                                           const std::vector<std::string>& allowed) {
  const std::size_t limit = std::clamp<std::size_t>(unknown.size() / 3, 1, 3);
  std::optional<std::string_view> best;
  std::size_t bestDistance = limit + 1;
  for (const std::string& candidate : allowed) {
    const std::size_t distance = editDistance(unknown, candidate);
    if (distance < bestDistance && distance < std::min(unknown.size(), candidate.size())) {
      bestDistance = distance;
      best = candidate;
    }
  }
  return best;
}

}  // namespace

Result<toml::table> parseToml(std::string_view text, std::string_view sourceName) {
#if TOML_EXCEPTIONS
  try {
    return toml::parse(text, std::string(sourceName));
  } catch (const toml::parse_error& error) {
    return parseErrorOf(error, sourceName);
  }
#else
  toml::parse_result parsed = toml::parse(text, std::string(sourceName));
  if (!parsed) return parseErrorOf(parsed.error(), sourceName);
  return std::move(parsed).table();
#endif
}

Result<toml::table> parseTomlFile(const std::string& path) {
  const FileDescriptor file(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (file.get() < 0) return Error::fromErrno(errno, fmt::format("open {}", path));

  std::string text;
  char buffer[16 * 1024];
  for (;;) {
    const ssize_t got = ::read(file.get(), buffer, sizeof buffer);
    if (got < 0) {
      if (errno == EINTR) continue;
      return Error::fromErrno(errno, fmt::format("read {}", path));
    }
    if (got == 0) break;
    if (text.size() + static_cast<std::size_t>(got) > kMaxTomlFileBytes) {
      return makeError(Errc::kOutOfRange, "{}: larger than {} bytes, not a TOML file for edgert",
                       path, kMaxTomlFileBytes);
    }
    text.append(buffer, static_cast<std::size_t>(got));
  }
  return parseToml(text, path);
}

std::string_view tomlTypeName(toml::node_type type) {
  switch (type) {
    case toml::node_type::none: return "nothing";
    case toml::node_type::table: return "a table";
    case toml::node_type::array: return "an array";
    case toml::node_type::string: return "a string";
    case toml::node_type::integer: return "an integer";
    case toml::node_type::floating_point: return "a float";
    case toml::node_type::boolean: return "a boolean";
    case toml::node_type::date: return "a date";
    case toml::node_type::time: return "a time";
    case toml::node_type::date_time: return "a date-time";
  }
  return "an unknown kind of value";
}

std::string describeFound(const toml::node& node) {
  switch (node.type()) {
    case toml::node_type::string: return describeString(node.as_string()->get());
    case toml::node_type::integer: return describeInteger(*node.as_integer());
    case toml::node_type::floating_point: return describeFloat(node.as_floating_point()->get());
    case toml::node_type::boolean: return node.as_boolean()->get() ? "true" : "false";
    case toml::node_type::date:
      return fmt::format("a date ({})", streamed(node.as_date()->get()));
    case toml::node_type::time:
      return fmt::format("a time ({})", streamed(node.as_time()->get()));
    case toml::node_type::date_time:
      return fmt::format("a date-time ({})", streamed(node.as_date_time()->get()));
    case toml::node_type::none:
    case toml::node_type::table:
    case toml::node_type::array: break;
  }
  return std::string(tomlTypeName(node.type()));
}

std::string formatKey(std::string_view key) {
  const bool bare = !key.empty() && std::all_of(key.begin(), key.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           c == '_' || c == '-';
  });
  return bare ? std::string(key) : quoted(key);
}

// --- SchemaErrors ---------------------------------------------------------------------------

void SchemaErrors::add(const toml::source_position& where, std::string_view keyPath,
                       std::string_view text) {
  std::string line = sourceName_;
  if (where.line > 0) line += fmt::format(":{}:{}", where.line, where.column);
  line += ": ";
  if (!keyPath.empty()) {
    line += keyPath;
    line += ": ";
  }
  line += text;
  entries_.push_back(Entry{where, std::move(line)});
}

Error SchemaErrors::toError() const {
  std::vector<const Entry*> ordered;
  ordered.reserve(entries_.size());
  for (const Entry& entry : entries_) ordered.push_back(&entry);
  // By position; entries at the same position keep the order they were added in (their
  // order in entries_). Not std::stable_sort: it asks for a nothrow-new temporary buffer.
  std::sort(ordered.begin(), ordered.end(), [](const Entry* a, const Entry* b) {
    if (a->where.line != b->where.line) return a->where.line < b->where.line;
    if (a->where.column != b->where.column) return a->where.column < b->where.column;
    return std::less<const Entry*>()(a, b);
  });
  std::string message;
  for (const Entry* entry : ordered) {
    if (!message.empty()) message += '\n';
    message += entry->line;
  }
  return Error(Errc::kSchema, std::move(message));
}

// --- TableReader ----------------------------------------------------------------------------

TableReader::TableReader(const toml::table& table, std::string keyPath, SchemaErrors& errors)
    : table_(table), keyPath_(std::move(keyPath)), errors_(errors) {}

std::string TableReader::keyPathOf(std::string_view key) const {
  if (keyPath_.empty()) return formatKey(key);
  return fmt::format("{}.{}", keyPath_, formatKey(key));
}

std::string TableReader::elementPath(std::string_view arrayPath, std::size_t index) {
  return fmt::format("{}[{}]", arrayPath, index);
}

const toml::node* TableReader::find(std::string_view key) {
  if (std::find(allowed_.begin(), allowed_.end(), key) == allowed_.end()) {
    allowed_.emplace_back(key);
  }
  return table_.get(key);
}

bool TableReader::has(std::string_view key) { return find(key) != nullptr; }

const toml::node* TableReader::rawNode(std::string_view key) { return find(key); }

void TableReader::reportMissing(std::string_view key, std::string_view text) {
  errors_.add(table_.source().begin, keyPathOf(key), text);
}

void TableReader::reportValue(const toml::node& node, std::string_view keyPath,
                              std::string_view expected) {
  errors_.add(node.source().begin, keyPath,
              fmt::format("expected {}, found {}", expected, describeFound(node)));
}

const toml::node* TableReader::lookup(std::string_view key, Presence presence,
                                      std::string_view expected) {
  const toml::node* node = find(key);
  if (node == nullptr && presence == Presence::kRequired) {
    reportMissing(key, fmt::format("missing required key, expected {}", expected));
  }
  return node;
}

void TableReader::fail(std::string_view key, std::string_view text) {
  const toml::node* node = table_.get(key);
  errors_.add(node != nullptr ? node->source().begin : table_.source().begin, keyPathOf(key),
              text);
}

void TableReader::failMissing(std::string_view key, std::string_view text) {
  reportMissing(key, text);
}

void TableReader::failHere(std::string_view text) {
  errors_.add(table_.source().begin, keyPath_, text);
}

std::optional<std::string> TableReader::readString(std::string_view key, Presence presence,
                                                   StringRule rule) {
  const toml::node* node = lookup(key, presence, rule.expected);
  if (node == nullptr) return std::nullopt;
  const toml::value<std::string>* value = node->as_string();
  if (value == nullptr || (rule.accepts != nullptr && !rule.accepts(value->get()))) {
    reportValue(*node, keyPathOf(key), rule.expected);
    return std::nullopt;
  }
  return value->get();
}

std::optional<std::int64_t> TableReader::readInt(std::string_view key, Presence presence,
                                                 IntRange range) {
  const std::string expected = intExpectation(range);
  const toml::node* node = lookup(key, presence, expected);
  if (node == nullptr) return std::nullopt;
  const toml::value<std::int64_t>* value = node->as_integer();
  if (value == nullptr || value->get() < range.min || value->get() > range.max) {
    reportValue(*node, keyPathOf(key), expected);
    return std::nullopt;
  }
  return value->get();
}

std::optional<double> TableReader::readFloat(std::string_view key, Presence presence,
                                             FloatRange range) {
  const std::string expected = floatExpectation(range);
  const toml::node* node = lookup(key, presence, expected);
  if (node == nullptr) return std::nullopt;
  std::optional<double> number;
  if (const auto* floating = node->as_floating_point()) number = floating->get();
  if (const auto* integer = node->as_integer()) number = static_cast<double>(integer->get());
  // Written so that NaN fails the check.
  if (!number || !(*number >= range.min && *number <= range.max)) {
    reportValue(*node, keyPathOf(key), expected);
    return std::nullopt;
  }
  return number;
}

std::optional<bool> TableReader::readBool(std::string_view key, Presence presence) {
  const toml::node* node = lookup(key, presence, "a boolean");
  if (node == nullptr) return std::nullopt;
  const toml::value<bool>* value = node->as_boolean();
  if (value == nullptr) {
    reportValue(*node, keyPathOf(key), "a boolean");
    return std::nullopt;
  }
  return value->get();
}

std::optional<std::size_t> TableReader::readEnumIndex(std::string_view key, Presence presence,
                                                      std::span<const std::string_view> names) {
  const std::string expected = enumExpectation(names);
  const toml::node* node = lookup(key, presence, expected);
  if (node == nullptr) return std::nullopt;
  if (const toml::value<std::string>* value = node->as_string()) {
    const auto match = std::find(names.begin(), names.end(), value->get());
    if (match != names.end()) return static_cast<std::size_t>(match - names.begin());
  }
  reportValue(*node, keyPathOf(key), expected);
  return std::nullopt;
}

std::optional<std::vector<std::string>> TableReader::readStringArray(std::string_view key,
                                                                     Presence presence,
                                                                     StringRule rule,
                                                                     Duplicates duplicates) {
  const toml::node* node = lookup(key, presence, "an array of strings");
  if (node == nullptr) return std::nullopt;
  const toml::array* array = node->as_array();
  if (array == nullptr) {
    reportValue(*node, keyPathOf(key), "an array of strings");
    return std::nullopt;
  }
  const std::string arrayPath = keyPathOf(key);
  std::vector<std::string> strings;
  strings.reserve(array->size());
  bool allGood = true;
  for (std::size_t i = 0; i < array->size(); ++i) {
    const toml::node& element = (*array)[i];
    const toml::value<std::string>* value = element.as_string();
    if (value == nullptr || (rule.accepts != nullptr && !rule.accepts(value->get()))) {
      reportValue(element, elementPath(arrayPath, i), rule.expected);
      allGood = false;
      continue;
    }
    if (duplicates == Duplicates::kRejected) {
      for (std::size_t j = 0; j < i; ++j) {
        const toml::value<std::string>* earlier = (*array)[j].as_string();
        if (earlier != nullptr && earlier->get() == value->get()) {
          errors_.add(element.source().begin, elementPath(arrayPath, i),
                      fmt::format("duplicate {}, first listed as {}", quoted(value->get()),
                                  elementPath(arrayPath, j)));
          allGood = false;
          break;
        }
      }
    }
    strings.push_back(value->get());
  }
  if (!allGood) return std::nullopt;
  return strings;
}

const toml::table* TableReader::tableNode(std::string_view key, Presence presence) {
  const toml::node* node = find(key);
  if (node == nullptr) {
    if (presence == Presence::kRequired) reportMissing(key, "missing required table");
    return nullptr;
  }
  const toml::table* table = node->as_table();
  if (table == nullptr) reportValue(*node, keyPathOf(key), "a table");
  return table;
}

const toml::array* TableReader::tableArrayNode(std::string_view key, Presence presence) {
  const toml::node* node = find(key);
  if (node == nullptr) {
    if (presence == Presence::kRequired) reportMissing(key, "missing required array of tables");
    return nullptr;
  }
  const toml::array* array = node->as_array();
  if (array == nullptr) {
    reportValue(*node, keyPathOf(key), "an array of tables");
    return nullptr;
  }
  const std::string arrayPath = keyPathOf(key);
  for (std::size_t i = 0; i < array->size(); ++i) {
    if (!(*array)[i].is_table()) reportValue((*array)[i], elementPath(arrayPath, i), "a table");
  }
  return array;
}

void TableReader::reportUnknownKeys() {
  for (const auto& [key, node] : table_) {
    const std::string_view name = key.str();
    if (std::find(allowed_.begin(), allowed_.end(), name) != allowed_.end()) continue;
    std::string text = "unknown key";
    if (allowed_.empty()) {
      text += ", expected no keys here";
    } else {
      if (const std::optional<std::string_view> close = closestKey(name, allowed_)) {
        text += fmt::format(" (did you mean {}?)", formatKey(*close));
      }
      text += ", expected one of: ";
      for (std::size_t i = 0; i < allowed_.size(); ++i) {
        if (i > 0) text += ", ";
        text += formatKey(allowed_[i]);
      }
    }
    errors_.add(key.source().begin, keyPathOf(name), text);
  }
}

std::optional<std::string> TableReader::requiredString(std::string_view key, StringRule rule) {
  return readString(key, Presence::kRequired, rule);
}
std::optional<std::string> TableReader::optionalString(std::string_view key, StringRule rule) {
  return readString(key, Presence::kOptional, rule);
}
std::optional<std::int64_t> TableReader::requiredInt(std::string_view key, IntRange range) {
  return readInt(key, Presence::kRequired, range);
}
std::optional<std::int64_t> TableReader::optionalInt(std::string_view key, IntRange range) {
  return readInt(key, Presence::kOptional, range);
}
std::optional<double> TableReader::requiredFloat(std::string_view key, FloatRange range) {
  return readFloat(key, Presence::kRequired, range);
}
std::optional<double> TableReader::optionalFloat(std::string_view key, FloatRange range) {
  return readFloat(key, Presence::kOptional, range);
}
std::optional<bool> TableReader::requiredBool(std::string_view key) {
  return readBool(key, Presence::kRequired);
}
std::optional<bool> TableReader::optionalBool(std::string_view key) {
  return readBool(key, Presence::kOptional);
}
std::optional<std::vector<std::string>> TableReader::requiredStringArray(
    std::string_view key, StringRule rule, Duplicates duplicates) {
  return readStringArray(key, Presence::kRequired, rule, duplicates);
}
std::optional<std::vector<std::string>> TableReader::optionalStringArray(
    std::string_view key, StringRule rule, Duplicates duplicates) {
  return readStringArray(key, Presence::kOptional, rule, duplicates);
}

}  // namespace edgert
