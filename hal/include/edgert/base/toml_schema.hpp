// Strict, schema-checked reading of TOML documents (board files, application configs).
//
// toml++ parses; this file decides whether what was parsed is what the schema allows, and
// says so in messages a user can act on:
//
//   board/orin.toml:12:5: power.sensors[1].i2c_address: expected an integer in 0x08..0x77, found 0x80
//
// A schema is code: a function that walks the document with a TableReader, asking for each
// key with its type and range. The reader remembers every key it was asked about, so keys
// nobody asked about are reported as unknown (with the list of allowed ones), and it keeps
// going after a problem so that ALL problems of a file come back together, in file order,
// as one Error (Errc::kSchema). Getters return std::nullopt for a missing or rejected value;
// the caller may fill in a default, since readSchema() fails anyway when anything was wrong.
//
//   Result<void> r = readSchema(document, "app.toml", [&](TableReader& root) {
//     root.requiredTable("cpu", [&](TableReader& cpu) {
//       config.cores = cpu.requiredInt("cores", {1, 256}).value_or(1);
//     });
//   });
//
// Positions: a wrong value is reported where the value starts, an unknown key where the key
// starts, a missing key or table where the enclosing table starts (its [header], or 1:1
// for the top level). toml++ throws toml::parse_error; parseToml() catches it here, so no
// exception leaves this library.
#pragma once

#include <toml++/toml.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "edgert/base/result.hpp"

namespace edgert {

// Parses TOML text. A syntax error (including a redefined key or table) is Errc::kParse
// with toml++'s position and description: "<sourceName>:<line>:<column>: <description>".
Result<toml::table> parseToml(std::string_view text, std::string_view sourceName);

// Reads and parses the file at `path`; messages name the file by `path` as given. A missing
// file is Errc::kNotFound ("open <path>: No such file or directory"), other read failures
// carry their errno's code; a file over kMaxTomlFileBytes is Errc::kOutOfRange.
Result<toml::table> parseTomlFile(const std::string& path);
inline constexpr std::size_t kMaxTomlFileBytes = 1024 * 1024;

// "a string", "an integer", "a float", "a boolean", "a table", "an array", "a date",
// "a time", "a date-time".
std::string_view tomlTypeName(toml::node_type type);

// What a message says was found: the value itself for strings, integers (in the base they
// were written in), floats and booleans (`"fast"`, `7`, `0x80`, `2.5`, `true`), the type
// and value for dates and times (`a date (2024-05-01)`), the type for tables and arrays.
std::string describeFound(const toml::node& node);

// Writes one key of a key path: bare when TOML allows it bare, quoted otherwise.
std::string formatKey(std::string_view key);

// An inclusive integer range. `hex` prints the range in hex ("0x08..0x77").
struct IntRange {
  std::int64_t min;
  std::int64_t max;
  bool hex = false;
};

// An inclusive float range. Integers are accepted where a float is expected.
struct FloatRange {
  double min;
  double max;
};

// What a string must look like. `expected` completes "expected ..." in messages
// ("a string", "a device path under /dev/"); `accepts` == nullptr accepts every string.
struct StringRule {
  std::string_view expected;
  bool (*accepts)(std::string_view value);
};

inline constexpr StringRule kAnyString{"a string", nullptr};
inline constexpr StringRule kNonEmptyString{
    "a non-empty string", [](std::string_view value) { return !value.empty(); }};

// One allowed string of an enum-like key and the value it stands for.
template <typename E>
struct EnumName {
  std::string_view name;
  E value;
};

// Name of `value` in `names`, "" when it is not listed.
template <typename E, std::size_t N>
constexpr std::string_view enumNameOf(const std::array<EnumName<E>, N>& names, E value) {
  for (const EnumName<E>& entry : names) {
    if (entry.value == value) return entry.name;
  }
  return {};
}

enum class Duplicates : std::uint8_t { kAllowed, kRejected };

// The problems found in one document, each "<source>:<line>:<column>: <key path>: <text>".
class SchemaErrors {
 public:
  explicit SchemaErrors(std::string sourceName) : sourceName_(std::move(sourceName)) {}

  // `where` with line 0 (a node built in code, not parsed) prints no position.
  void add(const toml::source_position& where, std::string_view keyPath, std::string_view text);

  bool empty() const { return entries_.empty(); }
  std::size_t size() const { return entries_.size(); }

  // Errc::kSchema; one line per problem, sorted by position (ties keep their order).
  Error toError() const;

 private:
  struct Entry {
    toml::source_position where;
    std::string line;
  };
  std::string sourceName_;
  std::vector<Entry> entries_;
};

// Reads one table of a document against the schema the caller's code spells out.
class TableReader {
 public:
  // `keyPath` is the path of `table` itself ("" for the document, "power.sensors[1]").
  TableReader(const toml::table& table, std::string keyPath, SchemaErrors& errors);

  const std::string& keyPath() const { return keyPath_; }
  // The path of a key of this table: "cpu" + "cores" -> "cpu.cores".
  std::string keyPathOf(std::string_view key) const;

  // Whether `key` is present, whatever its type; `key` becomes an allowed key.
  bool has(std::string_view key);
  // The raw node of `key` (nullptr when absent), for value shapes the getters do not
  // cover; `key` becomes an allowed key and the caller checks the node itself.
  const toml::node* rawNode(std::string_view key);

  std::optional<std::string> requiredString(std::string_view key, StringRule rule = kAnyString);
  std::optional<std::string> optionalString(std::string_view key, StringRule rule = kAnyString);

  std::optional<std::int64_t> requiredInt(std::string_view key, IntRange range);
  std::optional<std::int64_t> optionalInt(std::string_view key, IntRange range);

  std::optional<double> requiredFloat(std::string_view key, FloatRange range);
  std::optional<double> optionalFloat(std::string_view key, FloatRange range);

  std::optional<bool> requiredBool(std::string_view key);
  std::optional<bool> optionalBool(std::string_view key);

  // A string that must be one of `names`: 'expected one of "a", "b", found "c"'.
  template <typename E, std::size_t N>
  std::optional<E> requiredEnum(std::string_view key, const std::array<EnumName<E>, N>& names) {
    return readEnum(key, Presence::kRequired, names);
  }
  template <typename E, std::size_t N>
  std::optional<E> optionalEnum(std::string_view key, const std::array<EnumName<E>, N>& names) {
    return readEnum(key, Presence::kOptional, names);
  }

  // An array whose elements are all strings following `rule`; an element that is not is
  // reported with its index ("thermal.zones[2]: expected a string, found 7").
  std::optional<std::vector<std::string>> requiredStringArray(
      std::string_view key, StringRule rule = kAnyString,
      Duplicates duplicates = Duplicates::kAllowed);
  std::optional<std::vector<std::string>> optionalStringArray(
      std::string_view key, StringRule rule = kAnyString,
      Duplicates duplicates = Duplicates::kAllowed);

  // A sub-table: calls read(TableReader&) on it, then reports its unknown keys. Returns
  // whether `read` ran (false when absent or not a table).
  template <typename F>
  bool requiredTable(std::string_view key, F&& read) {
    return readTable(tableNode(key, Presence::kRequired), key, std::forward<F>(read));
  }
  template <typename F>
  bool optionalTable(std::string_view key, F&& read) {
    return readTable(tableNode(key, Presence::kOptional), key, std::forward<F>(read));
  }

  // An array of tables ([[key]] or key = [{...}, ...]): calls read(TableReader&, index) on
  // each element that is a table, then reports its unknown keys. Returns whether the array
  // was present and an array.
  template <typename F>
  bool requiredTableArray(std::string_view key, F&& read) {
    return readTableArray(tableArrayNode(key, Presence::kRequired), key, std::forward<F>(read));
  }
  template <typename F>
  bool optionalTableArray(std::string_view key, F&& read) {
    return readTableArray(tableArrayNode(key, Presence::kOptional), key, std::forward<F>(read));
  }

  // Reports a problem the getters cannot see (cross-field rules): at the value of `key`
  // when present, else at this table; the path is keyPathOf(key).
  void fail(std::string_view key, std::string_view text);
  // Reports a problem at a key that must be there but is not, like a missing required key:
  // at this table, with `text` saying why it is required and what is expected.
  void failMissing(std::string_view key, std::string_view text);
  // Reports a problem with this table as a whole, at its position.
  void failHere(std::string_view text);

  // Reports every key of the table that no getter asked about, with the allowed ones.
  // requiredTable()/...TableArray() and readSchema() call it after their callback.
  void reportUnknownKeys();

 private:
  enum class Presence : std::uint8_t { kRequired, kOptional };

  const toml::node* find(std::string_view key);
  void reportMissing(std::string_view key, std::string_view expected);
  void reportValue(const toml::node& node, std::string_view keyPath, std::string_view expected);
  const toml::node* lookup(std::string_view key, Presence presence, std::string_view expected);

  std::optional<std::string> readString(std::string_view key, Presence presence, StringRule rule);
  std::optional<std::int64_t> readInt(std::string_view key, Presence presence, IntRange range);
  std::optional<double> readFloat(std::string_view key, Presence presence, FloatRange range);
  std::optional<bool> readBool(std::string_view key, Presence presence);
  std::optional<std::size_t> readEnumIndex(std::string_view key, Presence presence,
                                           std::span<const std::string_view> names);
  std::optional<std::vector<std::string>> readStringArray(std::string_view key,
                                                          Presence presence, StringRule rule,
                                                          Duplicates duplicates);
  const toml::table* tableNode(std::string_view key, Presence presence);
  const toml::array* tableArrayNode(std::string_view key, Presence presence);

  template <typename E, std::size_t N>
  std::optional<E> readEnum(std::string_view key, Presence presence,
                            const std::array<EnumName<E>, N>& names) {
    std::array<std::string_view, N> plain{};
    for (std::size_t i = 0; i < N; ++i) plain[i] = names[i].name;
    const std::optional<std::size_t> index = readEnumIndex(key, presence, plain);
    if (!index) return std::nullopt;
    return names[*index].value;
  }

  template <typename F>
  bool readTable(const toml::table* table, std::string_view key, F&& read) {
    if (table == nullptr) return false;
    TableReader child(*table, keyPathOf(key), errors_);
    std::forward<F>(read)(child);
    child.reportUnknownKeys();
    return true;
  }

  template <typename F>
  bool readTableArray(const toml::array* array, std::string_view key, F&& read) {
    if (array == nullptr) return false;
    const std::string arrayPath = keyPathOf(key);
    for (std::size_t i = 0; i < array->size(); ++i) {
      const toml::table* element = (*array)[i].as_table();
      if (element == nullptr) continue;  // tableArrayNode() reported it
      TableReader child(*element, elementPath(arrayPath, i), errors_);
      read(child, i);
      child.reportUnknownKeys();
    }
    return true;
  }

  static std::string elementPath(std::string_view arrayPath, std::size_t index);

  const toml::table& table_;
  std::string keyPath_;
  SchemaErrors& errors_;
  std::vector<std::string> allowed_;  // every key asked about, in the order asked
};

// Runs read(TableReader&) over the whole document, then reports its unknown top-level
// keys. Success when nothing was wrong; otherwise every problem in one Errc::kSchema Error.
template <typename F>
Result<void> readSchema(const toml::table& document, std::string_view sourceName, F&& read) {
  SchemaErrors errors{std::string(sourceName)};
  TableReader root(document, "", errors);
  std::forward<F>(read)(root);
  root.reportUnknownKeys();
  if (!errors.empty()) return errors.toError();
  return success();
}

}  // namespace edgert
