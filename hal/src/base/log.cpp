#include "edgert/base/log.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

// systemd.hpp declares sd_journal_sendv() without the macro that would add CODE_FILE,
// CODE_LINE and CODE_FUNC of this file: the records carry the caller's own.
#include "edgert/base/systemd.hpp"

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <memory>
#include <mutex>

namespace edgert::log {

namespace {

constexpr const char* kJournalSocket = "/run/systemd/journal/socket";
constexpr std::string_view kDefaultIdentifier = "edgert";
constexpr std::size_t kMaxCategoryLevels = 32;
constexpr std::size_t kMaxIdentifierBytes = 63;
constexpr std::int64_t kNsPerSecond = 1'000'000'000;

struct CategoryLevel {
  std::array<char, kMaxCategoryNameBytes> name{};
  std::size_t size = 0;
  Level level = Level::kInfo;

  std::string_view str() const { return {name.data(), size}; }
};

struct CategoryLevels {
  std::array<CategoryLevel, kMaxCategoryLevels> entries{};
  std::size_t count = 0;

  const Level* find(std::string_view name) const {
    for (std::size_t i = 0; i < count; ++i) {
      if (entries[i].str() == name) return &entries[i].level;
    }
    return nullptr;
  }

  // `name` is valid (isValidCategoryName).
  Result<void> set(std::string_view name, Level level) {
    for (std::size_t i = 0; i < count; ++i) {
      if (entries[i].str() == name) {
        entries[i].level = level;
        return success();
      }
    }
    if (count == entries.size()) {
      return makeError(Errc::kOutOfRange, "more than {} category levels", entries.size());
    }
    CategoryLevel& entry = entries[count++];
    std::copy(name.begin(), name.end(), entry.name.begin());
    entry.size = name.size();
    entry.level = level;
    return success();
  }
};

// Everything behind the facility's one mutex.
struct State {
  std::mutex mutex;

  Level level = Level::kInfo;
  CategoryLevels categoryLevels;
  Target target = Target::kAuto;
  Target resolvedTarget = Target::kAuto;  // kAuto: not resolved since the last change
  bool journalReachable = false;
  const systemd::Library* systemd = nullptr;  // opened once the journal is the target
  std::array<char, kMaxIdentifierBytes> identifier{'e', 'd', 'g', 'e', 'r', 't'};
  std::size_t identifierSize = kDefaultIdentifier.size();
  RateLimit defaultRateLimit = kDefaultRateLimit;
  Sink* sink = nullptr;
  Clock clock = nullptr;  // nullptr: CLOCK_MONOTONIC, relative to processStartNs
  bool processStartTaken = false;
  std::int64_t processStartNs = 0;
  Category* registered = nullptr;  // every category that has logged, linked

  // Output scratch.
  JournalFields journal;
  std::array<char, kStderrLineBytes> line{};
};

State& state() {
  static constinit State instance;
  return instance;
}

std::int64_t monotonicNs() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<std::int64_t>(ts.tv_sec) * kNsPerSecond + ts.tv_nsec;
}

// Now, in the records' time base. Under the mutex.
std::int64_t nowNs(State& s) {
  if (s.clock != nullptr) return s.clock();
  const std::int64_t now = monotonicNs();
  if (!s.processStartTaken) {
    s.processStartNs = now;
    s.processStartTaken = true;
  }
  return now - s.processStartNs;
}

// Takes the process start time while static objects are initialized, so the stderr
// timestamps count from (close to) the start of the program, not from its first line.
[[maybe_unused]] const bool kProcessStartTaken = [] {
  std::lock_guard lock(state().mutex);
  (void)nowNs(state());
  return true;
}();

void bumpConfigGeneration() {
  std::uint32_t next = (detail::configGeneration.load(std::memory_order_relaxed) + 1) & 0xffffffu;
  if (next == 0) next = 1;
  detail::configGeneration.store(next, std::memory_order_relaxed);
}

Level levelForLocked(const State& s, std::string_view category) {
  const Level* own = s.categoryLevels.find(category);
  return own != nullptr ? *own : s.level;
}

std::string_view identifierOf(const State& s) { return {s.identifier.data(), s.identifierSize}; }

// Cuts `text` to at most `size` bytes without splitting a UTF-8 sequence.
std::size_t utf8Prefix(std::string_view text, std::size_t size) {
  if (size >= text.size()) return text.size();
  while (size > 0 && (static_cast<unsigned char>(text[size]) & 0xc0u) == 0x80u) --size;
  return size;
}

std::string_view formatMessage(std::span<char, kMaxMessageBytes> out, fmt::string_view format,
                               fmt::format_args args) {
  const auto result = fmt::vformat_to_n(out.data(), out.size(), format, args);
  if (result.size <= out.size()) return {out.data(), result.size};
  const std::size_t keep = utf8Prefix(std::string_view(out.data(), out.size()),
                                      out.size() - kTruncationMarker.size());
  std::copy(kTruncationMarker.begin(), kTruncationMarker.end(), out.begin() + keep);
  return {out.data(), keep + kTruncationMarker.size()};
}

void writeAll(int fd, std::string_view text) {
  while (!text.empty()) {
    const ssize_t n = ::write(fd, text.data(), text.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return;  // nowhere left to report it
    }
    text.remove_prefix(static_cast<std::size_t>(n));
  }
}

void writeStderr(State& s, const Record& record) {
  writeAll(STDERR_FILENO, formatStderrLine(record, s.line));
}

// "[    0.000123] W log: <message>" on stderr, whatever the target or sink: trouble with the
// logging itself is for the person at the console.
void warnOnStderr(State& s, std::string_view message) {
  Record record;
  record.level = Level::kWarning;
  record.category = "log";
  record.message = message;
  record.timeNs = nowNs(s);
  writeStderr(s, record);
}

bool sendToJournal(State& s, const Record& record) {
  formatJournalFields(record, s.journal);
  const auto fields = s.journal.fields();
  std::array<iovec, JournalFields::kMaxFields> iov{};
  for (std::size_t i = 0; i < fields.size(); ++i) {
    iov[i].iov_base = const_cast<char*>(fields[i].data());
    iov[i].iov_len = fields[i].size();
  }
  return s.systemd->journalSendv(iov.data(), static_cast<int>(fields.size())) >= 0;
}

bool startedBySystemd() {
  const char* stream = std::getenv("JOURNAL_STREAM");
  if (stream != nullptr && isJournalStream(stream, STDERR_FILENO)) return true;
  const char* invocation = std::getenv("INVOCATION_ID");
  return invocation != nullptr && *invocation != '\0';
}

bool journalSocketExists() {
  struct stat st {};
  return ::stat(kJournalSocket, &st) == 0 && S_ISSOCK(st.st_mode);
}

Target resolveTarget(State& s) {
  if (s.resolvedTarget == Target::kAuto) {
    s.resolvedTarget = s.target;
    if (s.target == Target::kAuto) {
      s.resolvedTarget = startedBySystemd() ? Target::kJournal : Target::kStderr;
    }
    s.journalReachable = s.resolvedTarget == Target::kJournal && journalSocketExists();
    if (s.resolvedTarget == Target::kJournal && !s.journalReachable) {
      warnOnStderr(s, "no journald socket at /run/systemd/journal/socket; logging to stderr");
    }
    if (s.journalReachable) {
      s.systemd = systemd::library();
      if (s.systemd == nullptr) {
        s.journalReachable = false;
        warnOnStderr(s, fmt::format("{}; logging to stderr", systemd::loadError()));
      }
    }
  }
  return s.resolvedTarget;
}

void emit(State& s, const Record& record) {
  if (s.sink != nullptr) {
    s.sink->write(record);
    return;
  }
  if (resolveTarget(s) == Target::kJournal && s.journalReachable && sendToJournal(s, record)) {
    return;
  }
  writeStderr(s, record);
}

// "5s", "250ms", "10us", "7ns".
struct IntervalText {
  std::array<char, 32> text{};
  std::size_t size = 0;

  explicit IntervalText(std::chrono::nanoseconds interval) {
    std::int64_t value = interval.count();
    std::string_view unit = "ns";
    for (std::string_view next : {"us", "ms", "s"}) {
      if (value == 0 || value % 1000 != 0) break;
      value /= 1000;
      unit = next;
    }
    size = fmt::format_to_n(text.data(), text.size(), "{}{}", value, unit).size;
    size = std::min(size, text.size());
  }
  std::string_view str() const { return {text.data(), size}; }
};

}  // namespace

namespace detail {

// The parts of Category and FieldName only this file touches.
struct Access {
  static FieldName uncheckedFieldName(std::string_view name) {
    return FieldName(FieldName::Unchecked{}, name);
  }

  static void registerCategory(State& s, Category& category) {
    if (category.registered_) return;
    category.registered_ = true;
    category.nextRegistered_ = s.registered;
    s.registered = &category;
  }

  static RateLimit rateLimitOf(const State& s, const Category& category) {
    if (category.rateLimit_) return *category.rateLimit_;
    if (category.declaredRateLimit_) return *category.declaredRateLimit_;
    return s.defaultRateLimit;
  }

  // Writes "N lines suppressed" when the category has suppressed lines pending.
  static void reportSuppressed(State& s, Category& category, std::int64_t now) {
    if (category.suppressed_ == 0) return;
    const RateLimit limit = rateLimitOf(s, category);
    std::array<char, 128> text{};
    const std::uint64_t count = category.suppressed_;
    auto result = fmt::format_to_n(text.data(), text.size(), "{} {} suppressed", count,
                                   count == 1 ? "line" : "lines");
    if (limit.burst > 0) {  // else the limit was lifted since
      result = fmt::format_to_n(result.out, text.size() - std::min(result.size, text.size()),
                                " (rate limit: {} {} per {})", limit.burst,
                                limit.burst == 1 ? "line" : "lines",
                                IntervalText(limit.interval).str());
    }
    const auto size = static_cast<std::size_t>(result.out - text.data());
    const std::array<Field, 1> fields{Field(uncheckedFieldName("EDGERT_SUPPRESSED"), count)};
    Record record;
    record.level = category.suppressedLevel_;
    record.category = category.name();
    record.message = std::string_view(text.data(), size);
    record.identifier = identifierOf(s);
    record.messageId = kSuppressedMessageId.hex();
    record.fields = fields;
    record.timeNs = now;
    category.suppressed_ = 0;
    category.suppressedLevel_ = Level::kDebug;
    emit(s, record);
  }

  // Whether a line at `level` passes the category's rate limit now; counts it if not.
  static bool admit(State& s, Category& category, Level level, std::int64_t now) {
    if (level == Level::kCritical) return true;
    const RateLimit limit = rateLimitOf(s, category);
    if (limit.burst == 0) {
      reportSuppressed(s, category, now);  // left over from before the limit was lifted
      return true;
    }
    if (!category.windowOpen_ || now - category.windowStartNs_ >= limit.interval.count()) {
      reportSuppressed(s, category, now);
      category.windowOpen_ = true;
      category.windowStartNs_ = now;
      category.passedInWindow_ = 0;
    }
    if (category.passedInWindow_ < limit.burst) {
      ++category.passedInWindow_;
      return true;
    }
    if (category.suppressed_ == 0 || level < category.suppressedLevel_) {
      category.suppressedLevel_ = level;
    }
    ++category.suppressed_;
    return false;
  }

  static void setRateLimit(Category& category, std::optional<RateLimit> limit) {
    category.rateLimit_ = limit;
  }

  static void resetLimiter(Category& category) {
    category.rateLimit_.reset();
    category.windowOpen_ = false;
    category.windowStartNs_ = 0;
    category.passedInWindow_ = 0;
    category.suppressed_ = 0;
    category.suppressedLevel_ = Level::kDebug;
  }

  static Category* next(const Category& category) { return category.nextRegistered_; }
};

void write(Category& category, Level level, const MessageId* id, std::span<const Field> fields,
           const std::source_location& where, fmt::string_view format, fmt::format_args args) {
  State& s = state();
  std::int64_t now = 0;
  {
    std::lock_guard lock(s.mutex);
    now = nowNs(s);
    if (!Access::admit(s, category, level, now)) return;
  }
  // Formatting runs outside the mutex: a formatter may be slow, or even log.
  std::array<char, kMaxMessageBytes> buffer;  // NOLINT: written before it is read
  Record record;
  record.level = level;
  record.category = category.name();
  record.message = formatMessage(buffer, format, args);
  record.messageId = id != nullptr ? id->hex() : std::string_view();
  record.fields = fields.first(std::min(fields.size(), kMaxExtraFields));
  record.where = where;
  record.timeNs = now;
  std::lock_guard lock(s.mutex);
  record.identifier = identifierOf(s);
  emit(s, record);
}

}  // namespace detail

std::uint32_t Category::refresh() {
  State& s = state();
  std::lock_guard lock(s.mutex);
  detail::Access::registerCategory(s, *this);
  const std::uint32_t generation = detail::configGeneration.load(std::memory_order_relaxed);
  const std::uint32_t packed =
      (generation << 8) | static_cast<std::uint32_t>(levelForLocked(s, name_));
  cache_.store(packed, std::memory_order_relaxed);
  return packed;
}

std::string_view levelName(Level level) {
  switch (level) {
    case Level::kCritical: return "critical";
    case Level::kError: return "error";
    case Level::kWarning: return "warning";
    case Level::kNotice: return "notice";
    case Level::kInfo: return "info";
    case Level::kDebug: return "debug";
  }
  return "unknown";
}

char levelLetter(Level level) {
  switch (level) {
    case Level::kCritical: return 'C';
    case Level::kError: return 'E';
    case Level::kWarning: return 'W';
    case Level::kNotice: return 'N';
    case Level::kInfo: return 'I';
    case Level::kDebug: return 'D';
  }
  return '?';
}

Result<Level> parseLevel(std::string_view text) {
  for (Level level : {Level::kCritical, Level::kError, Level::kWarning, Level::kNotice,
                      Level::kInfo, Level::kDebug}) {
    const char number = static_cast<char>('0' + static_cast<int>(level));
    if (text == levelName(level) || text == std::string_view(&number, 1)) return level;
  }
  return makeError(Errc::kInvalidArgument,
                   "unknown level {:?} (expected critical, error, warning, notice, info, debug "
                   "or 2 to 7)",
                   text);
}

std::string_view targetName(Target target) {
  switch (target) {
    case Target::kAuto: return "auto";
    case Target::kStderr: return "stderr";
    case Target::kJournal: return "journal";
  }
  return "unknown";
}

Result<Target> parseTarget(std::string_view text) {
  for (Target target : {Target::kAuto, Target::kStderr, Target::kJournal}) {
    if (text == targetName(target)) return target;
  }
  return makeError(Errc::kInvalidArgument,
                   "unknown target {:?} (expected auto, stderr or journal)", text);
}

Result<FieldName> FieldName::checked(std::string_view name) {
  if (!isValidFieldName(name)) {
    return makeError(Errc::kInvalidArgument,
                     "journald field name {:?}: expected 1 to 64 of A-Z, 0-9 and _, not "
                     "starting with a digit or _",
                     name);
  }
  if (isReservedFieldName(name)) {
    return makeError(Errc::kInvalidArgument,
                     "journald field name {:?} is written by edgert::log itself", name);
  }
  return FieldName(Unchecked{}, name);
}

std::string_view Field::valueText(std::array<char, kNumberBytes>& scratch) const {
  switch (kind_) {
    case Kind::kText: return text_;
    case Kind::kSigned: {
      const auto result = std::to_chars(scratch.data(), scratch.data() + scratch.size(), signed_);
      return {scratch.data(), static_cast<std::size_t>(result.ptr - scratch.data())};
    }
    case Kind::kUnsigned: {
      const auto result =
          std::to_chars(scratch.data(), scratch.data() + scratch.size(), unsigned_);
      return {scratch.data(), static_cast<std::size_t>(result.ptr - scratch.data())};
    }
  }
  return {};
}

std::string_view formatStderrLine(const Record& record, std::span<char> out) {
  if (out.empty()) return {};
  const std::int64_t time = std::max<std::int64_t>(record.timeNs, 0);
  const auto result = fmt::format_to_n(out.data(), out.size(), "[{:5}.{:06}] {} {}: {}\n",
                                       time / kNsPerSecond, time % kNsPerSecond / 1000,
                                       levelLetter(record.level), record.category,
                                       record.message);
  if (result.size <= out.size()) return {out.data(), result.size};
  out.back() = '\n';
  return {out.data(), out.size()};
}

void JournalFields::clear() {
  count_ = 0;
  used_ = 0;
}

bool JournalFields::append(std::string_view key, std::string_view value) {
  const std::size_t room = text_.size() - used_;
  if (count_ == fields_.size() || key.size() + 1 > room) return false;
  const std::size_t valueSize = utf8Prefix(value, room - key.size() - 1);
  char* start = text_.data() + used_;
  char* end = std::copy(key.begin(), key.end(), start);
  *end++ = '=';
  end = std::copy(value.begin(), value.begin() + static_cast<std::ptrdiff_t>(valueSize), end);
  const auto size = static_cast<std::size_t>(end - start);
  fields_[count_++] = std::string_view(start, size);
  used_ += size;
  return true;
}

bool JournalFields::append(const Field& field) {
  std::array<char, Field::kNumberBytes> scratch{};
  return append(field.name(), field.valueText(scratch));
}

void formatJournalFields(const Record& record, JournalFields& out) {
  out.clear();
  const char priority = static_cast<char>('0' + static_cast<int>(record.level));
  out.append("MESSAGE", record.message);
  out.append("PRIORITY", std::string_view(&priority, 1));
  out.append("SYSLOG_IDENTIFIER", record.identifier);
  if (!record.messageId.empty()) out.append("MESSAGE_ID", record.messageId);
  out.append("EDGERT_CATEGORY", record.category);
  if (record.where.line() != 0) {
    std::array<char, 16> line{};
    const auto result =
        std::to_chars(line.data(), line.data() + line.size(), record.where.line());
    out.append("CODE_FILE", record.where.file_name());
    out.append("CODE_LINE",
               std::string_view(line.data(), static_cast<std::size_t>(result.ptr - line.data())));
    out.append("CODE_FUNC", record.where.function_name());
  }
  const std::size_t extra = std::min(record.fields.size(), kMaxExtraFields);
  for (const Field& field : record.fields.first(extra)) out.append(field);
}

void CaptureSink::write(const Record& record) {
  Entry entry{record.level, std::string(record.category), std::string(record.message),
              std::string(record.messageId), {}, {}};
  std::array<char, kStderrLineBytes> line{};
  entry.stderrLine = std::string(formatStderrLine(record, line));
  auto journal = std::make_unique<JournalFields>();
  formatJournalFields(record, *journal);
  for (std::string_view field : journal->fields()) entry.journal.emplace_back(field);
  entries_.push_back(std::move(entry));
}

std::vector<std::string> CaptureSink::messages() const {
  std::vector<std::string> out;
  out.reserve(entries_.size());
  for (const Entry& entry : entries_) out.push_back(entry.message);
  return out;
}

namespace {

// "EDGERT_LOG_LEVEL: unknown level ...; using info"
void warnAboutEnvironment(State& s, std::string_view variable, const Error& error,
                          std::string_view fallback) {
  std::array<char, 512> text{};
  const auto result = fmt::format_to_n(text.data(), text.size(), "{}: {}; {}", variable,
                                       error.message(), fallback);
  warnOnStderr(s, std::string_view(text.data(), std::min(result.size, text.size())));
}

// "camera=debug,power=warning" (empty items are skipped).
Result<void> parseCategoryLevels(std::string_view spec, CategoryLevels& out) {
  std::size_t index = 0;
  while (!spec.empty()) {
    const std::size_t comma = spec.find(',');
    const std::string_view item = spec.substr(0, comma);
    spec = comma == std::string_view::npos ? std::string_view() : spec.substr(comma + 1);
    ++index;
    if (item.empty()) continue;
    const std::size_t equals = item.find('=');
    if (equals == std::string_view::npos) {
      return makeError(Errc::kParse, "item {} {:?}: expected category=level", index, item);
    }
    const std::string_view name = item.substr(0, equals);
    if (!isValidCategoryName(name)) {
      return makeError(Errc::kParse,
                       "item {} {:?}: category name {:?}: expected 1 to {} of a-z, 0-9, '.', "
                       "'_' and '-'",
                       index, item, name, kMaxCategoryNameBytes);
    }
    auto level = parseLevel(item.substr(equals + 1));
    if (!level) {
      return std::move(level).error().withContext(fmt::format("item {} {:?}", index, item));
    }
    EDGERT_TRY(out.set(name, *level));
  }
  return success();
}

}  // namespace

void configureFromEnvironment() {
  State& s = state();
  std::lock_guard lock(s.mutex);

  s.target = Target::kAuto;
  if (const char* value = std::getenv("EDGERT_LOG_TARGET")) {
    auto target = parseTarget(value);
    if (target) {
      s.target = *target;
    } else {
      warnAboutEnvironment(s, "EDGERT_LOG_TARGET", target.error(), "using auto");
    }
  }
  s.resolvedTarget = Target::kAuto;

  s.level = Level::kInfo;
  if (const char* value = std::getenv("EDGERT_LOG_LEVEL")) {
    auto level = parseLevel(value);
    if (level) {
      s.level = *level;
    } else {
      warnAboutEnvironment(s, "EDGERT_LOG_LEVEL", level.error(), "using info");
    }
  }

  s.categoryLevels = CategoryLevels{};
  if (const char* value = std::getenv("EDGERT_LOG")) {
    CategoryLevels parsed;
    auto result = parseCategoryLevels(value, parsed);
    if (result) {
      s.categoryLevels = parsed;
    } else {
      warnAboutEnvironment(s, "EDGERT_LOG", result.error(), "ignoring EDGERT_LOG");
    }
  }
  bumpConfigGeneration();
}

void setLevel(Level level) {
  State& s = state();
  std::lock_guard lock(s.mutex);
  s.level = level;
  bumpConfigGeneration();
}

Level level() {
  State& s = state();
  std::lock_guard lock(s.mutex);
  return s.level;
}

Result<void> setCategoryLevel(std::string_view category, Level level) {
  if (!isValidCategoryName(category)) {
    return makeError(Errc::kInvalidArgument,
                     "category name {:?}: expected 1 to {} of a-z, 0-9, '.', '_' and '-'",
                     category, kMaxCategoryNameBytes);
  }
  State& s = state();
  std::lock_guard lock(s.mutex);
  EDGERT_TRY(s.categoryLevels.set(category, level));
  bumpConfigGeneration();
  return success();
}

void clearCategoryLevels() {
  State& s = state();
  std::lock_guard lock(s.mutex);
  s.categoryLevels = CategoryLevels{};
  bumpConfigGeneration();
}

Level levelFor(std::string_view category) {
  State& s = state();
  std::lock_guard lock(s.mutex);
  return levelForLocked(s, category);
}

void setTarget(Target target) {
  State& s = state();
  std::lock_guard lock(s.mutex);
  s.target = target;
  s.resolvedTarget = Target::kAuto;
}

Target activeTarget() {
  State& s = state();
  std::lock_guard lock(s.mutex);
  return resolveTarget(s);
}

Result<void> setIdentifier(std::string_view identifier) {
  const bool printable = std::all_of(identifier.begin(), identifier.end(),
                                     [](char c) { return c > ' ' && c < 0x7f; });
  if (identifier.empty() || identifier.size() > kMaxIdentifierBytes || !printable) {
    return makeError(Errc::kInvalidArgument,
                     "syslog identifier {:?}: expected 1 to {} printable ASCII characters "
                     "without spaces",
                     identifier, kMaxIdentifierBytes);
  }
  State& s = state();
  std::lock_guard lock(s.mutex);
  std::copy(identifier.begin(), identifier.end(), s.identifier.begin());
  s.identifierSize = identifier.size();
  return success();
}

void setDefaultRateLimit(RateLimit limit) {
  State& s = state();
  std::lock_guard lock(s.mutex);
  s.defaultRateLimit = limit;
}

void setRateLimit(Category& category, RateLimit limit) {
  State& s = state();
  std::lock_guard lock(s.mutex);
  detail::Access::registerCategory(s, category);  // so that resetForTesting() finds it
  detail::Access::setRateLimit(category, limit);
}

void flushSuppressed() {
  State& s = state();
  std::lock_guard lock(s.mutex);
  const std::int64_t now = nowNs(s);
  for (Category* c = s.registered; c != nullptr; c = detail::Access::next(*c)) {
    detail::Access::reportSuppressed(s, *c, now);
  }
}

void setSink(Sink* sink) {
  State& s = state();
  std::lock_guard lock(s.mutex);
  s.sink = sink;
}

bool isJournalStream(std::string_view journalStream, int fd) {
  const std::size_t colon = journalStream.find(':');
  if (colon == std::string_view::npos) return false;
  const std::string_view devText = journalStream.substr(0, colon);
  const std::string_view inoText = journalStream.substr(colon + 1);
  std::uint64_t dev = 0;
  std::uint64_t ino = 0;
  const auto devResult = std::from_chars(devText.data(), devText.data() + devText.size(), dev);
  const auto inoResult = std::from_chars(inoText.data(), inoText.data() + inoText.size(), ino);
  if (devResult.ec != std::errc() || devResult.ptr != devText.data() + devText.size() ||
      inoResult.ec != std::errc() || inoResult.ptr != inoText.data() + inoText.size() ||
      devText.empty() || inoText.empty()) {
    return false;
  }
  struct stat st {};
  if (::fstat(fd, &st) != 0) return false;
  return static_cast<std::uint64_t>(st.st_dev) == dev &&
         static_cast<std::uint64_t>(st.st_ino) == ino;
}

void setClockForTesting(Clock clock) {
  State& s = state();
  std::lock_guard lock(s.mutex);
  s.clock = clock;
}

void resetForTesting() {
  State& s = state();
  std::lock_guard lock(s.mutex);
  s.level = Level::kInfo;
  s.categoryLevels = CategoryLevels{};
  s.target = Target::kAuto;
  s.resolvedTarget = Target::kAuto;
  std::copy(kDefaultIdentifier.begin(), kDefaultIdentifier.end(), s.identifier.begin());
  s.identifierSize = kDefaultIdentifier.size();
  s.defaultRateLimit = kDefaultRateLimit;
  s.sink = nullptr;
  s.clock = nullptr;
  for (Category* c = s.registered; c != nullptr; c = detail::Access::next(*c)) {
    detail::Access::resetLimiter(*c);
  }
  bumpConfigGeneration();
}

}  // namespace edgert::log
