// edgert::log: the one logging facility.
//
// Every source file that logs declares its category once, at namespace scope:
//
//   EDGERT_LOG_CATEGORY(kLog, "camera");
//
//   log::info(kLog, "opened {} at {}x{}", path, width, height);
//   log::event(kLog, log::Level::kNotice, kCameraLostId, {{"DEVICE", path}, {"ERRNO", err}},
//              "camera {} lost", path);
//
// Format strings are checked at compile time (fmt::format_string), and so are category names,
// MESSAGE_IDs and field names written as literals. A line below its category's level costs
// two relaxed atomic loads and a compare; its arguments are never formatted. Libraries log at
// debug level at most and return errors; the caller logs once.
//
// Output ("target"):
//   journal  structured journald entry (sd_journal_sendv): MESSAGE, PRIORITY,
//            SYSLOG_IDENTIFIER ("edgert" unless setIdentifier()), MESSAGE_ID for events,
//            EDGERT_CATEGORY, CODE_FILE, CODE_LINE, CODE_FUNC and the event's own fields.
//   stderr   one plain line per record, written with a single write(2):
//            "[    1.234567] W camera: frame 12 dropped"
//            (seconds since the process started, level letter C/E/W/N/I/D, category).
//   auto     (default) journal when systemd started us: $JOURNAL_STREAM names the device and
//            inode of our stderr (systemd's documented check, so a redirected stderr does not
//            count) or $INVOCATION_ID is set; stderr otherwise. When the journal socket
//            (/run/systemd/journal/socket) is missing (said once on stderr) or a send fails,
//            the line goes to stderr instead of being lost.
//
// Environment, read by configureFromEnvironment() (call it once at start-up):
//   EDGERT_LOG_TARGET=auto|stderr|journal
//   EDGERT_LOG_LEVEL=critical|error|warning|notice|info|debug (or the syslog number 2..7);
//                    the default is info.
//   EDGERT_LOG=camera=debug,power=warning   per-category levels, overriding EDGERT_LOG_LEVEL.
//                    Category names are not checked against the program's categories (they
//                    are only known once they log); a syntax error ignores the whole variable.
// An invalid value never stops the program: the default is kept and one line on stderr says
// what was wrong: "EDGERT_LOG_LEVEL: unknown level "loud" (expected critical, ...); using info".
//
// Rate limiting: each category lets through at most `burst` lines per `interval` (default
// kDefaultRateLimit: 20 lines per 5 s; per category through EDGERT_LOG_CATEGORY's third
// argument or setRateLimit(), for all others through setDefaultRateLimit()). A window starts
// with the first line after the previous window ended. Lines over the limit are counted, not
// formatted. The first line let through after that is preceded by
//   "37 lines suppressed (rate limit: 20 lines per 5s)"
// logged in the same category at the most severe level among the lines it stands for, with
// MESSAGE_ID kSuppressedMessageId and EDGERT_SUPPRESSED=37. flushSuppressed() reports counts
// still pending; call it at shutdown. Critical lines bypass the limit and are not counted:
// critical means the service is going down, and the reason must not be lost.
//
// Thread safety: every function may be called from any thread. One mutex guards the limiter
// state, the configuration and the output; formatting happens outside it. A Sink runs under
// that mutex and must not log.
//
// Memory: no heap allocation per line. The message is formatted into a kMaxMessageBytes
// stack buffer (longer messages end in kTruncationMarker); journald fields and the stderr
// line are built in fixed buffers.
#pragma once

#include "edgert/base/result.hpp"

#include <fmt/format.h>

#include <array>
#include <atomic>
#include <chrono>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <optional>
#include <source_location>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

namespace edgert::log {

// Syslog priorities, as journald's PRIORITY field carries them.
enum class Level : std::uint8_t {
  kCritical = 2,
  kError = 3,
  kWarning = 4,
  kNotice = 5,
  kInfo = 6,
  kDebug = 7,
};

std::string_view levelName(Level level);  // "warning"
char levelLetter(Level level);            // 'W'
// "warning" or "4" -> Level::kWarning.
Result<Level> parseLevel(std::string_view text);

enum class Target : std::uint8_t { kAuto, kStderr, kJournal };

std::string_view targetName(Target target);  // "journal"
Result<Target> parseTarget(std::string_view text);

struct RateLimit {
  std::uint32_t burst = 0;  // lines per interval; 0 means no limit
  std::chrono::nanoseconds interval{0};

  friend constexpr bool operator==(const RateLimit&, const RateLimit&) = default;
};

inline constexpr RateLimit kDefaultRateLimit{20, std::chrono::seconds(5)};
inline constexpr RateLimit kNoRateLimit{};

// Longest message, in bytes, including kTruncationMarker when it had to be cut.
inline constexpr std::size_t kMaxMessageBytes = 1024;
// "…[truncated]"
inline constexpr std::string_view kTruncationMarker = "\xE2\x80\xA6[truncated]";
inline constexpr std::size_t kMaxCategoryNameBytes = 31;
// Extra journald fields per event; more are dropped.
inline constexpr std::size_t kMaxExtraFields = 8;

// Category names: 1 to 31 of a-z 0-9 . _ - ("camera", "v4l2.capture").
constexpr bool isValidCategoryName(std::string_view name) {
  if (name.empty() || name.size() > kMaxCategoryNameBytes) return false;
  for (char c : name) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_' ||
                    c == '-';
    if (!ok) return false;
  }
  return true;
}

// journald's rule for a field name: 1 to 64 of A-Z 0-9 _, not starting with a digit or an
// underscore (names starting with '_' are the journal's trusted fields).
constexpr bool isValidFieldName(std::string_view name) {
  if (name.empty() || name.size() > 64) return false;
  if (name[0] == '_' || (name[0] >= '0' && name[0] <= '9')) return false;
  for (char c : name) {
    if (!((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_')) return false;
  }
  return true;
}

// Fields this facility writes itself; an event may not set them again.
constexpr bool isReservedFieldName(std::string_view name) {
  constexpr std::array<std::string_view, 9> kReserved = {
      "MESSAGE",   "MESSAGE_ID", "PRIORITY",        "SYSLOG_IDENTIFIER", "CODE_FILE",
      "CODE_LINE", "CODE_FUNC",  "EDGERT_CATEGORY", "EDGERT_SUPPRESSED"};
  for (std::string_view reserved : kReserved) {
    if (name == reserved) return true;
  }
  return false;
}

// A journald MESSAGE_ID: 32 lower-case hex digits (a 128-bit id, `systemd-id128 new`).
constexpr bool isValidMessageId(std::string_view hex) {
  if (hex.size() != 32) return false;
  for (char c : hex) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

namespace detail {
struct Access;
// Not constexpr on purpose: reaching one of these while evaluating a consteval constructor
// makes the call ill-formed, so a bad literal is a compile error that names the problem.
void categoryNameMustBe1To31OfLowerCaseDigitsDotUnderscoreDash();
void fieldNameMustBeUpperCaseDigitsUnderscoreAndNotReserved();
void messageIdMustBe32LowerCaseHexDigits();
}  // namespace detail

// Identifies one kind of event in the journal, stable across releases (journalctl
// MESSAGE_ID=...). Constructed from a literal, checked at compile time.
class MessageId {
 public:
  template <std::size_t N>
  consteval MessageId(const char (&hex)[N]) {  // NOLINT: implicit from a literal
    if (N != 33 || !isValidMessageId(std::string_view(hex, N - 1))) {
      detail::messageIdMustBe32LowerCaseHexDigits();
    }
    for (std::size_t i = 0; i < 32; ++i) hex_[i] = hex[i];
  }

  constexpr std::string_view hex() const { return {hex_.data(), hex_.size()}; }

 private:
  std::array<char, 32> hex_{};
};

// The MESSAGE_ID of the "N lines suppressed" record.
inline constexpr MessageId kSuppressedMessageId{"b225478fe40745bea2de1d7905b075f5"};

// The name of an extra journald field: checked at compile time for a literal, or at run time
// through checked() (the name is then borrowed and must outlive the FieldName).
class FieldName {
 public:
  template <std::size_t N>
  consteval FieldName(const char (&name)[N])  // NOLINT: implicit from a literal
      : name_(name, N - 1) {
    if (!isValidFieldName(name_) || isReservedFieldName(name_)) {
      detail::fieldNameMustBeUpperCaseDigitsUnderscoreAndNotReserved();
    }
  }

  static Result<FieldName> checked(std::string_view name);

  constexpr std::string_view str() const { return name_; }

 private:
  friend struct detail::Access;
  struct Unchecked {};
  constexpr FieldName(Unchecked, std::string_view name) : name_(name) {}

  std::string_view name_;
};

// One extra journald field of an event: text (borrowed for the call) or an integer.
class Field {
 public:
  constexpr Field(FieldName name, std::string_view text) : name_(name), text_(text) {}
  template <std::integral T>
    requires(!std::same_as<T, bool> && !std::same_as<T, char>)
  constexpr Field(FieldName name, T number) : name_(name) {
    if constexpr (std::is_signed_v<T>) {
      kind_ = Kind::kSigned;
      signed_ = number;
    } else {
      kind_ = Kind::kUnsigned;
      unsigned_ = number;
    }
  }

  static constexpr std::size_t kNumberBytes = 24;

  constexpr std::string_view name() const { return name_.str(); }
  // The value as text ("/dev/video0"; "-19" formatted into `scratch`).
  std::string_view valueText(std::array<char, kNumberBytes>& scratch) const;

 private:
  enum class Kind : std::uint8_t { kText, kSigned, kUnsigned };

  FieldName name_;
  Kind kind_ = Kind::kText;
  std::string_view text_;
  std::int64_t signed_ = 0;
  std::uint64_t unsigned_ = 0;
};

class Category;

// One line on its way to the output; the views are valid during Sink::write() only.
struct Record {
  Level level = Level::kInfo;
  std::string_view category;
  std::string_view message;
  std::string_view identifier;    // SYSLOG_IDENTIFIER
  std::string_view messageId;     // 32 hex digits; empty for a plain line
  std::span<const Field> fields;  // extra journald fields of an event
  std::source_location where;     // line() == 0 for records this facility makes itself
  std::int64_t timeNs = 0;        // since the process started
};

// The stderr line of a record, '\n' included: "[    1.234567] W camera: frame 12 dropped\n".
// Cut to out.size() when longer (kStderrLineBytes always suffices).
inline constexpr std::size_t kStderrLineBytes = kMaxMessageBytes + kMaxCategoryNameBytes + 64;
std::string_view formatStderrLine(const Record& record, std::span<char> out);

// The journald fields of a record ("KEY=value" each, in the order sent), in fixed storage.
class JournalFields {
 public:
  static constexpr std::size_t kMaxFields = 8 + kMaxExtraFields;
  static constexpr std::size_t kTextBytes = 4096;

  void clear();
  // Appends KEY=value. A value longer than the room left is cut; returns false (and appends
  // nothing) when all kMaxFields are used.
  bool append(std::string_view key, std::string_view value);
  bool append(const Field& field);

  std::span<const std::string_view> fields() const { return {fields_.data(), count_}; }

 private:
  std::array<char, kTextBytes> text_{};
  std::array<std::string_view, kMaxFields> fields_{};
  std::size_t count_ = 0;
  std::size_t used_ = 0;
};

// MESSAGE, PRIORITY, SYSLOG_IDENTIFIER, MESSAGE_ID (events only), EDGERT_CATEGORY,
// CODE_FILE, CODE_LINE, CODE_FUNC (when the record has a location), then the extra fields.
void formatJournalFields(const Record& record, JournalFields& out);

// Where records go instead of stderr/journald while set (tests; benchmarks). Runs under the
// facility's mutex: it needs no locking of its own and must not log.
class Sink {
 public:
  virtual ~Sink() = default;
  virtual void write(const Record& record) = 0;
};

// A Sink that keeps copies of every record, for tests (it allocates).
class CaptureSink : public Sink {
 public:
  struct Entry {
    Level level;
    std::string category;
    std::string message;
    std::string messageId;
    std::string stderrLine;            // as formatStderrLine() makes it, '\n' included
    std::vector<std::string> journal;  // as formatJournalFields() makes them
  };

  void write(const Record& record) override;

  const std::vector<Entry>& entries() const { return entries_; }
  std::vector<std::string> messages() const;
  void clear() { entries_.clear(); }

 private:
  std::vector<Entry> entries_;
};

namespace detail {
// Bumped by every configuration change; categories re-read their level when it moves.
// 24 bits (the low 8 bits of Category's cache hold the level); never 0.
inline std::atomic<std::uint32_t> configGeneration{1};
}  // namespace detail

// The log category of one source file: its name, its level and its rate limiter. Declare it
// with EDGERT_LOG_CATEGORY; it must have static storage duration.
class Category {
 public:
  consteval explicit Category(std::string_view name,
                              std::optional<RateLimit> rateLimit = std::nullopt)
      : name_(name), declaredRateLimit_(rateLimit) {
    if (!isValidCategoryName(name)) {
      detail::categoryNameMustBe1To31OfLowerCaseDigitsDotUnderscoreDash();
    }
  }
  Category(const Category&) = delete;
  Category& operator=(const Category&) = delete;

  std::string_view name() const { return name_; }

  // Whether a line at `level` would be written (before rate limiting).
  bool enabled(Level level) {
    std::uint32_t cached = cache_.load(std::memory_order_relaxed);
    if ((cached >> 8) != detail::configGeneration.load(std::memory_order_relaxed)) {
      cached = refresh();
    }
    return static_cast<std::uint32_t>(level) <= (cached & 0xffu);
  }

 private:
  friend struct detail::Access;

  std::uint32_t refresh();

  std::string_view name_;
  std::optional<RateLimit> declaredRateLimit_;  // from the declaration; else the default
  // (configuration generation << 8) | level; 0 until the first refresh().
  std::atomic<std::uint32_t> cache_{0};

  // Guarded by the facility's mutex.
  Category* nextRegistered_ = nullptr;
  bool registered_ = false;
  std::optional<RateLimit> rateLimit_;  // setRateLimit(); overrides the declaration
  bool windowOpen_ = false;
  std::int64_t windowStartNs_ = 0;
  std::uint32_t passedInWindow_ = 0;
  std::uint64_t suppressed_ = 0;
  Level suppressedLevel_ = Level::kDebug;  // most severe level among the suppressed lines
};

// `EDGERT_LOG_CATEGORY(kLog, "camera");` or, with its own rate limit,
// `EDGERT_LOG_CATEGORY(kLog, "sampler", log::RateLimit{5, std::chrono::seconds(10)});`
#define EDGERT_LOG_CATEGORY(name, ...) \
  [[maybe_unused]] constinit static ::edgert::log::Category name { __VA_ARGS__ }

namespace detail {

// A compile-time-checked format string and the place it was written.
template <typename... Args>
class FormatAt {
 public:
  template <typename S>
    requires std::convertible_to<const S&, std::string_view>
  consteval FormatAt(const S& text,  // NOLINT: implicit from a literal
                     std::source_location where = std::source_location::current())
      : text_(text), where_(where) {}

  fmt::string_view text() const { return text_; }
  const std::source_location& where() const { return where_; }

 private:
  fmt::format_string<Args...> text_;
  std::source_location where_;
};

void write(Category& category, Level level, const MessageId* id, std::span<const Field> fields,
           const std::source_location& where, fmt::string_view format, fmt::format_args args);

}  // namespace detail

template <typename... Args>
using Format = detail::FormatAt<std::type_identity_t<Args>...>;

namespace detail {
// Out of the callers' fast path: only reached for a line at or above its category's level.
template <typename FormatAtType, typename... Args>
void formatAndWrite(Category& category, Level level, const MessageId* id,
                    std::span<const Field> fields, const FormatAtType& format, Args&... args) {
  write(category, level, id, fields, format.where(), format.text(), fmt::make_format_args(args...));
}
}  // namespace detail

// A line at a level chosen at run time.
template <typename... Args>
void at(Category& category, Level level, Format<Args...> format, Args&&... args) {
  if (category.enabled(level)) {
    detail::formatAndWrite(category, level, nullptr, {}, format, args...);
  }
}

template <typename... Args>
void critical(Category& category, Format<Args...> format, Args&&... args) {
  if (category.enabled(Level::kCritical)) {
    detail::formatAndWrite(category, Level::kCritical, nullptr, {}, format, args...);
  }
}
template <typename... Args>
void error(Category& category, Format<Args...> format, Args&&... args) {
  if (category.enabled(Level::kError)) {
    detail::formatAndWrite(category, Level::kError, nullptr, {}, format, args...);
  }
}
template <typename... Args>
void warning(Category& category, Format<Args...> format, Args&&... args) {
  if (category.enabled(Level::kWarning)) {
    detail::formatAndWrite(category, Level::kWarning, nullptr, {}, format, args...);
  }
}
template <typename... Args>
void notice(Category& category, Format<Args...> format, Args&&... args) {
  if (category.enabled(Level::kNotice)) {
    detail::formatAndWrite(category, Level::kNotice, nullptr, {}, format, args...);
  }
}
template <typename... Args>
void info(Category& category, Format<Args...> format, Args&&... args) {
  if (category.enabled(Level::kInfo)) {
    detail::formatAndWrite(category, Level::kInfo, nullptr, {}, format, args...);
  }
}
template <typename... Args>
void debug(Category& category, Format<Args...> format, Args&&... args) {
  if (category.enabled(Level::kDebug)) {
    detail::formatAndWrite(category, Level::kDebug, nullptr, {}, format, args...);
  }
}

// A line with a stable MESSAGE_ID and, optionally, extra journald fields (at most
// kMaxExtraFields; on stderr only the message is printed).
template <typename... Args>
void event(Category& category, Level level, const MessageId& id, Format<Args...> format,
           Args&&... args) {
  if (category.enabled(level)) detail::formatAndWrite(category, level, &id, {}, format, args...);
}
template <typename... Args>
void event(Category& category, Level level, const MessageId& id,
           std::initializer_list<Field> fields, Format<Args...> format, Args&&... args) {
  if (category.enabled(level)) {
    detail::formatAndWrite(category, level, &id, {fields.begin(), fields.size()}, format, args...);
  }
}

// Configuration. Each takes effect for every category at its next line.
void configureFromEnvironment();
void setLevel(Level level);
Level level();
// Overrides the level of the category called `category` (it need not exist yet).
Result<void> setCategoryLevel(std::string_view category, Level level);
void clearCategoryLevels();
// The level that applies to the category called `category`.
Level levelFor(std::string_view category);
void setTarget(Target target);
// kStderr or kJournal: what kAuto (or the setting) resolves to in this process.
Target activeTarget();
// SYSLOG_IDENTIFIER: 1 to 63 printable ASCII characters without spaces.
Result<void> setIdentifier(std::string_view identifier);
void setDefaultRateLimit(RateLimit limit);
void setRateLimit(Category& category, RateLimit limit);

// Writes the "N lines suppressed" record of every category that has one pending.
void flushSuppressed();

// Routes records to `sink` instead of stderr/journald; nullptr goes back to the target.
void setSink(Sink* sink);

// Whether $JOURNAL_STREAM's value ("<dev>:<inode>") names the file open on `fd`.
bool isJournalStream(std::string_view journalStream, int fd);

// Test hooks. The clock returns monotonic nanoseconds; with a test clock installed, record
// times are the clock's values as they are. nullptr restores CLOCK_MONOTONIC.
using Clock = std::int64_t (*)();
void setClockForTesting(Clock clock);
// Defaults back: level info, no category levels, target auto, identifier "edgert",
// kDefaultRateLimit, no sink, real clock; every category's limiter state and own limit
// (back to what its declaration says) cleared.
void resetForTesting();

}  // namespace edgert::log
