#include "edgert/base/log.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <initializer_list>
#include <new>
#include <optional>
#include <string>
#include <thread>
#include <vector>

// Counts operator new calls on threads that ask for it, to prove a steady-state line
// allocates nothing. Weak, so that another file of this binary may replace operator new too;
// the allocation test then finds its counter dead and skips.
namespace {
thread_local bool countAllocations = false;
thread_local std::size_t allocationCount = 0;
}  // namespace

__attribute__((weak)) void* operator new(std::size_t size) {
  if (countAllocations) ++allocationCount;
  if (void* p = std::malloc(size == 0 ? 1 : size)) return p;
  throw std::bad_alloc();
}
__attribute__((weak)) void operator delete(void* p) noexcept { std::free(p); }
__attribute__((weak)) void operator delete(void* p, std::size_t) noexcept { std::free(p); }

namespace {
// Formatting it counts how often it was formatted.
struct CountsFormatting {
  int* count;
};
}  // namespace

template <>
struct fmt::formatter<CountsFormatting> : fmt::formatter<int> {
  auto format(const CountsFormatting& value, fmt::format_context& ctx) const {
    ++*value.count;
    return fmt::formatter<int>::format(*value.count, ctx);
  }
};

namespace edgert::log {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

EDGERT_LOG_CATEGORY(kTestLog, "log-test");
EDGERT_LOG_CATEGORY(kCamera, "camera");
EDGERT_LOG_CATEGORY(kPower, "power");
EDGERT_LOG_CATEGORY(kSampler, "sampler", RateLimit{3, seconds(1)});

constexpr MessageId kCameraLostId{"9551af2275f94db69a7904b7c1db930f"};
constexpr std::int64_t kSecond = 1'000'000'000;

std::int64_t fakeNowNs = 0;
std::int64_t fakeClock() { return fakeNowNs; }

// Sets (or, for nullptr, unsets) an environment variable for the scope.
class ScopedEnv {
 public:
  ScopedEnv(const char* name, const char* value) : name_(name) {
    if (const char* old = std::getenv(name)) old_ = old;
    if (value != nullptr) {
      setenv(name, value, 1);
    } else {
      unsetenv(name);
    }
  }
  ~ScopedEnv() {
    if (old_) {
      setenv(name_, old_->c_str(), 1);
    } else {
      unsetenv(name_);
    }
  }
  ScopedEnv(const ScopedEnv&) = delete;
  ScopedEnv& operator=(const ScopedEnv&) = delete;

 private:
  const char* name_;
  std::optional<std::string> old_;
};

// Points fd 2 at a temporary file for the scope; text() reads what was written.
class StderrCapture {
 public:
  StderrCapture() : file_(std::tmpfile()), saved_(dup(STDERR_FILENO)) {
    EXPECT_NE(file_, nullptr);
    EXPECT_GE(saved_, 0);
    EXPECT_EQ(dup2(fileno(file_), STDERR_FILENO), STDERR_FILENO);
  }
  ~StderrCapture() {
    restore();
    std::fclose(file_);
  }
  StderrCapture(const StderrCapture&) = delete;
  StderrCapture& operator=(const StderrCapture&) = delete;

  std::string text() {
    restore();
    std::string out;
    std::rewind(file_);
    char buffer[4096];
    std::size_t n = 0;
    while ((n = std::fread(buffer, 1, sizeof buffer, file_)) > 0) out.append(buffer, n);
    return out;
  }

 private:
  void restore() {
    if (saved_ < 0) return;
    dup2(saved_, STDERR_FILENO);
    close(saved_);
    saved_ = -1;
  }

  std::FILE* file_;
  int saved_;
};

class LogTest : public ::testing::Test {
 protected:
  void SetUp() override {
    resetForTesting();
    fakeNowNs = 0;
    setClockForTesting(&fakeClock);
    setSink(&sink_);
  }
  void TearDown() override { resetForTesting(); }

  CaptureSink sink_;
};

// ---------------------------------------------------------------------------------------
// Levels and filtering

TEST(LogLevel, ParsesNamesAndSyslogNumbers) {
  EXPECT_EQ(*parseLevel("critical"), Level::kCritical);
  EXPECT_EQ(*parseLevel("warning"), Level::kWarning);
  EXPECT_EQ(*parseLevel("debug"), Level::kDebug);
  EXPECT_EQ(*parseLevel("4"), Level::kWarning);
  EXPECT_EQ(*parseLevel("7"), Level::kDebug);
  for (const char* bad : {"", "Warning", "warn", "8", "1", "debug ", "0"}) {
    auto result = parseLevel(bad);
    ASSERT_FALSE(result) << bad;
    EXPECT_EQ(result.error().code(), Errc::kInvalidArgument);
  }
  EXPECT_EQ(parseLevel("loud").error().message(),
            "unknown level \"loud\" (expected critical, error, warning, notice, info, debug or "
            "2 to 7)");
  EXPECT_EQ(levelLetter(Level::kNotice), 'N');
  EXPECT_EQ(levelName(Level::kError), "error");
}

TEST_F(LogTest, LinesBelowTheLevelAreNeitherWrittenNorFormatted) {
  int formatted = 0;
  debug(kTestLog, "value {}", CountsFormatting{&formatted});
  EXPECT_TRUE(sink_.entries().empty());
  EXPECT_EQ(formatted, 0);

  info(kTestLog, "value {}", CountsFormatting{&formatted});
  EXPECT_EQ(formatted, 1);
  EXPECT_EQ(sink_.messages(), std::vector<std::string>{"value 1"});

  setLevel(Level::kDebug);  // the category picks the change up at its next line
  debug(kTestLog, "value {}", CountsFormatting{&formatted});
  EXPECT_EQ(formatted, 2);
  setLevel(Level::kError);
  warning(kTestLog, "dropped");
  error(kTestLog, "kept");
  EXPECT_EQ(sink_.messages(), (std::vector<std::string>{"value 1", "value 2", "kept"}));
  EXPECT_FALSE(kTestLog.enabled(Level::kWarning));
  EXPECT_TRUE(kTestLog.enabled(Level::kCritical));
}

TEST_F(LogTest, CategoryLevelsOverrideTheGlobalLevel) {
  ASSERT_TRUE(setCategoryLevel("camera", Level::kDebug));
  ASSERT_TRUE(setCategoryLevel("power", Level::kError));
  debug(kCamera, "camera debug");
  warning(kPower, "power warning");
  error(kPower, "power error");
  debug(kTestLog, "other debug");
  info(kTestLog, "other info");
  EXPECT_EQ(sink_.messages(),
            (std::vector<std::string>{"camera debug", "power error", "other info"}));
  EXPECT_EQ(levelFor("camera"), Level::kDebug);
  EXPECT_EQ(levelFor("power"), Level::kError);
  EXPECT_EQ(levelFor("not-declared-anywhere"), Level::kInfo);

  ASSERT_TRUE(setCategoryLevel("power", Level::kWarning));  // replaces, not appends
  EXPECT_EQ(levelFor("power"), Level::kWarning);

  clearCategoryLevels();
  EXPECT_FALSE(kCamera.enabled(Level::kDebug));
  EXPECT_TRUE(kPower.enabled(Level::kInfo));

  EXPECT_FALSE(setCategoryLevel("Camera", Level::kDebug));
  EXPECT_FALSE(setCategoryLevel("", Level::kDebug));
  EXPECT_FALSE(setCategoryLevel(std::string(32, 'a'), Level::kDebug));
}

TEST_F(LogTest, AtTakesTheLevelAtRunTime) {
  at(kTestLog, Level::kNotice, "n={}", 5);
  at(kTestLog, Level::kDebug, "hidden");
  ASSERT_EQ(sink_.entries().size(), 1u);
  EXPECT_EQ(sink_.entries()[0].level, Level::kNotice);
  EXPECT_EQ(sink_.entries()[0].message, "n=5");
}

// ---------------------------------------------------------------------------------------
// Rate limiting

TEST_F(LogTest, RateLimitPassesTheBurstThenSaysHowManyWereSuppressed) {
  // kSampler: 3 lines per 1 s.
  for (int i = 0; i < 10; ++i) info(kSampler, "line {}", i);
  warning(kSampler, "a suppressed warning");
  EXPECT_EQ(sink_.messages(), (std::vector<std::string>{"line 0", "line 1", "line 2"}));

  fakeNowNs = kSecond - 1;  // the window is still open
  info(kSampler, "still suppressed");
  EXPECT_EQ(sink_.entries().size(), 3u);

  fakeNowNs = kSecond;  // a new window: the count comes first, then the line
  info(kSampler, "line after the window");
  ASSERT_EQ(sink_.entries().size(), 5u);
  const CaptureSink::Entry& notice = sink_.entries()[3];
  EXPECT_EQ(notice.message, "9 lines suppressed (rate limit: 3 lines per 1s)");
  EXPECT_EQ(notice.level, Level::kWarning);  // the most severe of the suppressed lines
  EXPECT_EQ(notice.category, "sampler");
  EXPECT_EQ(notice.stderrLine,
            "[    1.000000] W sampler: 9 lines suppressed (rate limit: 3 lines per 1s)\n");
  EXPECT_EQ(notice.journal, (std::vector<std::string>{
                                "MESSAGE=9 lines suppressed (rate limit: 3 lines per 1s)",
                                "PRIORITY=4",
                                "SYSLOG_IDENTIFIER=edgert",
                                "MESSAGE_ID=b225478fe40745bea2de1d7905b075f5",
                                "EDGERT_CATEGORY=sampler",
                                "EDGERT_SUPPRESSED=9",
                            }));
  EXPECT_EQ(sink_.entries()[4].message, "line after the window");

  // The new window holds 3 lines: this one and two more.
  info(kSampler, "second");
  info(kSampler, "third");
  info(kSampler, "fourth is over");
  EXPECT_EQ(sink_.entries().size(), 7u);
  EXPECT_EQ(sink_.entries().back().message, "third");
}

TEST_F(LogTest, SuppressedLinesAreNotFormatted) {
  int formatted = 0;
  for (int i = 0; i < 10; ++i) info(kSampler, "{}", CountsFormatting{&formatted});
  EXPECT_EQ(formatted, 3);
  EXPECT_EQ(sink_.entries().size(), 3u);
}

TEST_F(LogTest, FlushSuppressedReportsPendingCountsOnce) {
  for (int i = 0; i < 4; ++i) info(kSampler, "line {}", i);
  debug(kSampler, "below the level: neither passed nor suppressed");
  flushSuppressed();
  ASSERT_EQ(sink_.entries().size(), 4u);
  EXPECT_EQ(sink_.entries()[3].message, "1 line suppressed (rate limit: 3 lines per 1s)");
  EXPECT_EQ(sink_.entries()[3].level, Level::kInfo);

  flushSuppressed();  // nothing pending
  EXPECT_EQ(sink_.entries().size(), 4u);

  // Still the same window: the next lines are suppressed and counted afresh.
  info(kSampler, "a");
  info(kSampler, "b");
  fakeNowNs = 2 * kSecond;
  info(kSampler, "c");
  EXPECT_EQ(sink_.messages(),
            (std::vector<std::string>{"line 0", "line 1", "line 2",
                                      "1 line suppressed (rate limit: 3 lines per 1s)",
                                      "2 lines suppressed (rate limit: 3 lines per 1s)", "c"}));
}

TEST_F(LogTest, DefaultRateLimitIs20LinesPer5Seconds) {
  for (int i = 0; i < 25; ++i) info(kTestLog, "line {}", i);
  EXPECT_EQ(sink_.entries().size(), 20u);
  fakeNowNs = 5 * kSecond;
  info(kTestLog, "next");
  ASSERT_EQ(sink_.entries().size(), 22u);
  EXPECT_EQ(sink_.entries()[20].message, "5 lines suppressed (rate limit: 20 lines per 5s)");

  setDefaultRateLimit(RateLimit{2, milliseconds(250)});
  fakeNowNs = 20 * kSecond;
  for (int i = 0; i < 3; ++i) info(kTestLog, "x");
  fakeNowNs += 250'000'000;
  info(kTestLog, "y");
  EXPECT_EQ(sink_.entries()[24].message, "1 line suppressed (rate limit: 2 lines per 250ms)");
  // A category with its own limit ignores the default.
  for (int i = 0; i < 4; ++i) info(kSampler, "s");
  flushSuppressed();
  EXPECT_EQ(sink_.entries().back().message, "1 line suppressed (rate limit: 3 lines per 1s)");
}

TEST_F(LogTest, RateLimitsArePerCategory) {
  setRateLimit(kCamera, RateLimit{1, seconds(10)});
  info(kCamera, "camera 1");
  info(kCamera, "camera 2");
  info(kPower, "power 1");
  info(kPower, "power 2");
  EXPECT_EQ(sink_.messages(), (std::vector<std::string>{"camera 1", "power 1", "power 2"}));

  setRateLimit(kCamera, kNoRateLimit);
  for (int i = 0; i < 100; ++i) info(kCamera, "unlimited");
  // The pending count is still reported before the first line let through.
  EXPECT_EQ(sink_.entries().size(), 3u + 1u + 100u);
  EXPECT_EQ(sink_.entries()[3].message, "1 line suppressed");
}

TEST_F(LogTest, CriticalLinesBypassTheLimitAndAreNotCounted) {
  info(kSampler, "1");
  info(kSampler, "2");
  for (int i = 0; i < 5; ++i) critical(kSampler, "critical {}", i);
  info(kSampler, "3");  // the third line of the burst: criticals did not use it up
  info(kSampler, "4");
  EXPECT_EQ(sink_.entries().size(), 8u);
  EXPECT_EQ(sink_.entries().back().message, "3");
  flushSuppressed();
  EXPECT_EQ(sink_.entries().back().message, "1 line suppressed (rate limit: 3 lines per 1s)");
}

TEST_F(LogTest, ConcurrentLinesAllArriveAndCountsAddUp) {
  setRateLimit(kTestLog, kNoRateLimit);
  constexpr int kThreads = 4;
  constexpr int kLines = 300;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([t] {
      for (int i = 0; i < kLines; ++i) {
        info(kTestLog, "thread {} line {}", t, i);
        info(kSampler, "sampled");
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  flushSuppressed();

  std::size_t unlimited = 0;
  std::size_t sampled = 0;
  std::vector<std::string> notices;
  for (const CaptureSink::Entry& entry : sink_.entries()) {
    if (entry.category == "log-test") ++unlimited;
    if (entry.message == "sampled") ++sampled;
    if (entry.messageId == kSuppressedMessageId.hex()) notices.push_back(entry.message);
  }
  EXPECT_EQ(unlimited, std::size_t{kThreads * kLines});
  EXPECT_EQ(sampled, 3u);
  EXPECT_EQ(notices,
            std::vector<std::string>{"1197 lines suppressed (rate limit: 3 lines per 1s)"});
}

// ---------------------------------------------------------------------------------------
// journald fields

TEST_F(LogTest, EventJournalFieldsAreExact) {
  ASSERT_TRUE(setIdentifier("edgert-test"));
  const std::string path = "/dev/video0";
  const std::initializer_list<Field> fields = {{"DEVICE", path}, {"ERRNO", -19}, {"FRAME", 42u}};
  const std::source_location here = std::source_location::current();
  event(kCamera, Level::kNotice, kCameraLostId, fields, "camera {} lost", path);
  ASSERT_EQ(sink_.entries().size(), 1u);
  const CaptureSink::Entry& entry = sink_.entries()[0];
  EXPECT_EQ(entry.journal, (std::vector<std::string>{
                               "MESSAGE=camera /dev/video0 lost",
                               "PRIORITY=5",
                               "SYSLOG_IDENTIFIER=edgert-test",
                               "MESSAGE_ID=9551af2275f94db69a7904b7c1db930f",
                               "EDGERT_CATEGORY=camera",
                               std::string("CODE_FILE=") + here.file_name(),
                               "CODE_LINE=" + std::to_string(here.line() + 1),
                               std::string("CODE_FUNC=") + here.function_name(),
                               "DEVICE=/dev/video0",
                               "ERRNO=-19",
                               "FRAME=42",
                           }));
  EXPECT_EQ(entry.messageId, "9551af2275f94db69a7904b7c1db930f");
  // On stderr the fields are not printed.
  EXPECT_EQ(entry.stderrLine, "[    0.000000] N camera: camera /dev/video0 lost\n");
}

TEST_F(LogTest, PlainLineJournalFieldsAreExact) {
  fakeNowNs = 1'234'567'891;
  const std::source_location here = std::source_location::current();
  warning(kCamera, "frame {} dropped", 12);
  ASSERT_EQ(sink_.entries().size(), 1u);
  EXPECT_EQ(sink_.entries()[0].journal, (std::vector<std::string>{
                                            "MESSAGE=frame 12 dropped",
                                            "PRIORITY=4",
                                            "SYSLOG_IDENTIFIER=edgert",
                                            "EDGERT_CATEGORY=camera",
                                            std::string("CODE_FILE=") + here.file_name(),
                                            "CODE_LINE=" + std::to_string(here.line() + 1),
                                            std::string("CODE_FUNC=") + here.function_name(),
                                        }));
  EXPECT_EQ(sink_.entries()[0].stderrLine, "[    1.234567] W camera: frame 12 dropped\n");
}

TEST(LogJournalFields, BuiltFromARecordWithoutLocation) {
  const std::array<Field, 2> fields{Field("MULTI_LINE", "a\nb"), Field("ZERO", 0)};
  Record record;
  record.level = Level::kError;
  record.category = "power";
  record.message = "rail VDD_GPU over budget";
  record.identifier = "edgertd";
  record.fields = fields;
  JournalFields out;
  formatJournalFields(record, out);
  const std::vector<std::string> got(out.fields().begin(), out.fields().end());
  // Values are binary-safe in sd_journal_sendv: the newline stays.
  EXPECT_EQ(got, (std::vector<std::string>{"MESSAGE=rail VDD_GPU over budget", "PRIORITY=3",
                                           "SYSLOG_IDENTIFIER=edgertd", "EDGERT_CATEGORY=power",
                                           "MULTI_LINE=a\nb", "ZERO=0"}));
}

TEST(LogJournalFields, ExtraFieldsBeyondTheLimitAreDropped) {
  std::vector<Field> fields;
  for (std::size_t i = 0; i < kMaxExtraFields + 3; ++i) fields.push_back(Field("N", i));
  Record record;
  record.category = "c";
  record.fields = fields;
  JournalFields out;
  formatJournalFields(record, out);
  EXPECT_EQ(out.fields().size(), 4 + kMaxExtraFields);  // MESSAGE PRIORITY IDENTIFIER CATEGORY
  EXPECT_EQ(out.fields().back(), "N=" + std::to_string(kMaxExtraFields - 1));
}

TEST(LogJournalFields, StorageLimitsCutValuesAndRefuseFields) {
  JournalFields out;
  const std::string big(JournalFields::kTextBytes, 'v');
  EXPECT_TRUE(out.append("BIG", big));
  ASSERT_EQ(out.fields().size(), 1u);
  EXPECT_EQ(out.fields()[0].size(), JournalFields::kTextBytes);  // "BIG=" + what fitted
  EXPECT_FALSE(out.append("MORE", "x"));                         // no room for the key
  out.clear();
  for (std::size_t i = 0; i < JournalFields::kMaxFields; ++i) EXPECT_TRUE(out.append("K", "v"));
  EXPECT_FALSE(out.append("K", "v"));
  EXPECT_EQ(out.fields().size(), JournalFields::kMaxFields);
}

// Names that journald would refuse never reach it: a literal is checked at compile time, a
// run-time name through FieldName::checked().
static_assert(isValidFieldName("DEVICE"));
static_assert(isValidFieldName("RAIL_2_MW"));
static_assert(!isValidFieldName("device"));
static_assert(!isValidFieldName("_SYSTEMD_UNIT"));
static_assert(!isValidFieldName("2ND"));
static_assert(!isValidFieldName("RAIL-2"));
static_assert(!isValidFieldName(""));
static_assert(isReservedFieldName("MESSAGE_ID"));
static_assert(!isReservedFieldName("DEVICE"));
static_assert(isValidMessageId("9551af2275f94db69a7904b7c1db930f"));
static_assert(!isValidMessageId("9551AF2275F94DB69A7904B7C1DB930F"));
static_assert(!isValidMessageId("9551af2275f94db69a7904b7c1db930"));
static_assert(!isValidMessageId("9551af22-75f9-4db6-9a79-04b7c1db930f"));
static_assert(isValidCategoryName("v4l2.capture"));
static_assert(!isValidCategoryName("Camera"));

TEST(LogFieldName, RunTimeNamesAreChecked) {
  EXPECT_TRUE(isValidFieldName(std::string(64, 'A')));
  EXPECT_FALSE(isValidFieldName(std::string(65, 'A')));

  auto ok = FieldName::checked("RAIL_VDD_GPU");
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok->str(), "RAIL_VDD_GPU");

  for (const char* bad : {"rail", "_PID", "9LIVES", "A B", "A=B", "", "MESSAGE", "PRIORITY",
                          "CODE_LINE", "EDGERT_CATEGORY"}) {
    auto result = FieldName::checked(bad);
    ASSERT_FALSE(result) << bad;
    EXPECT_EQ(result.error().code(), Errc::kInvalidArgument);
  }
  EXPECT_EQ(FieldName::checked("rail").error().message(),
            "journald field name \"rail\": expected 1 to 64 of A-Z, 0-9 and _, not starting "
            "with a digit or _");
  EXPECT_EQ(FieldName::checked("MESSAGE").error().message(),
            "journald field name \"MESSAGE\" is written by edgert::log itself");
}

TEST_F(LogTest, CheckedRunTimeFieldNameReachesTheJournal) {
  const std::string name = "RAIL_" + std::string("VDD_GPU");
  auto field = FieldName::checked(name);
  ASSERT_TRUE(field);
  event(kPower, Level::kWarning, kCameraLostId, {{*field, 9100}}, "over budget");
  ASSERT_EQ(sink_.entries().size(), 1u);
  EXPECT_EQ(sink_.entries()[0].journal.back(), "RAIL_VDD_GPU=9100");
}

TEST_F(LogTest, IdentifierIsChecked) {
  EXPECT_FALSE(setIdentifier(""));
  EXPECT_FALSE(setIdentifier("has space"));
  EXPECT_FALSE(setIdentifier(std::string(64, 'x')));
  ASSERT_TRUE(setIdentifier(std::string(63, 'x')));
  info(kTestLog, "hello");
  EXPECT_EQ(sink_.entries()[0].journal[2], "SYSLOG_IDENTIFIER=" + std::string(63, 'x'));
}

// ---------------------------------------------------------------------------------------
// Truncation

TEST_F(LogTest, LongMessagesAreTruncatedWithAMarker) {
  const std::string fits(kMaxMessageBytes, 'f');
  info(kTestLog, "{}", fits);
  const std::string tooLong(kMaxMessageBytes + 1, 'x');
  info(kTestLog, "{}", tooLong);
  info(kTestLog, "{}", std::string(5000, 'y'));
  ASSERT_EQ(sink_.entries().size(), 3u);
  EXPECT_EQ(sink_.entries()[0].message, fits);
  const std::string cut = std::string(kMaxMessageBytes - kTruncationMarker.size(), 'x') +
                          "\xE2\x80\xA6[truncated]";
  EXPECT_EQ(sink_.entries()[1].message, cut);
  EXPECT_EQ(sink_.entries()[1].message.size(), kMaxMessageBytes);
  EXPECT_EQ(sink_.entries()[2].message.size(), kMaxMessageBytes);
  EXPECT_EQ(sink_.entries()[1].journal[0], "MESSAGE=" + cut);
}

TEST_F(LogTest, TruncationDoesNotSplitAUtf8Character) {
  std::string text = "a";
  for (int i = 0; i < 600; ++i) text += "\xC3\xA9";  // é, two bytes
  info(kTestLog, "{}", text);
  ASSERT_EQ(sink_.entries().size(), 1u);
  // 1010 bytes would fit before the marker; byte 1010 is the second byte of an é.
  std::string expected = "a";
  for (int i = 0; i < 504; ++i) expected += "\xC3\xA9";
  expected += kTruncationMarker;
  EXPECT_EQ(sink_.entries()[0].message, expected);
}

// ---------------------------------------------------------------------------------------
// stderr

TEST(LogStderrLine, HasTimeLevelLetterCategoryAndMessage) {
  Record record;
  record.level = Level::kWarning;
  record.category = "camera";
  record.message = "frame 12 dropped";
  record.timeNs = 1'234'567'891;
  std::array<char, kStderrLineBytes> buffer{};
  EXPECT_EQ(formatStderrLine(record, buffer), "[    1.234567] W camera: frame 12 dropped\n");

  record.level = Level::kDebug;
  record.timeNs = 123'456 * kSecond + 1'000;
  EXPECT_EQ(formatStderrLine(record, buffer), "[123456.000001] D camera: frame 12 dropped\n");

  std::array<char, 20> small{};
  EXPECT_EQ(formatStderrLine(record, small), "[123456.000001] D c\n");
}

TEST_F(LogTest, StderrTargetWritesOnePlainLine) {
  setSink(nullptr);
  setTarget(Target::kStderr);
  fakeNowNs = 1'500'000'000;
  std::string written;
  {
    StderrCapture capture;
    warning(kCamera, "frame {} dropped", 12);
    error(kPower, "rail {} over budget", "VDD_GPU");
    written = capture.text();
  }
  EXPECT_EQ(written,
            "[    1.500000] W camera: frame 12 dropped\n"
            "[    1.500000] E power: rail VDD_GPU over budget\n");
}

TEST_F(LogTest, JournalTargetFallsBackToStderrWithoutJournald) {
  struct stat st {};
  if (stat("/run/systemd/journal/socket", &st) == 0) {
    GTEST_SKIP() << "journald is running here; this test needs a machine without it";
  }
  setSink(nullptr);
  std::string written;
  {
    StderrCapture capture;
    setTarget(Target::kJournal);
    EXPECT_EQ(activeTarget(), Target::kJournal);  // resolving it says so, once
    notice(kCamera, "still seen");
    notice(kCamera, "seen again");
    written = capture.text();
  }
  EXPECT_EQ(written,
            "[    0.000000] W log: no journald socket at /run/systemd/journal/socket; logging to "
            "stderr\n"
            "[    0.000000] N camera: still seen\n"
            "[    0.000000] N camera: seen again\n");
}

// ---------------------------------------------------------------------------------------
// Target selection

TEST(LogJournalStream, MatchesDeviceAndInodeOfTheFd) {
  std::FILE* file = std::tmpfile();
  ASSERT_NE(file, nullptr);
  struct stat st {};
  ASSERT_EQ(fstat(fileno(file), &st), 0);
  const std::string dev = std::to_string(st.st_dev);
  const std::string ino = std::to_string(st.st_ino);
  EXPECT_TRUE(isJournalStream(dev + ":" + ino, fileno(file)));
  EXPECT_FALSE(isJournalStream(dev + ":" + std::to_string(st.st_ino + 1), fileno(file)));
  EXPECT_FALSE(isJournalStream(std::to_string(st.st_dev + 1) + ":" + ino, fileno(file)));
  const std::vector<std::string> bad = {
      "", dev, dev + ":", ":" + ino, dev + ":" + ino + ":1", dev + ":" + ino + "x", "a:b",
      "-1:" + ino};
  for (const std::string& value : bad) {
    EXPECT_FALSE(isJournalStream(value, fileno(file))) << value;
  }
  std::fclose(file);
  EXPECT_FALSE(isJournalStream(dev + ":" + ino, -1));
}

TEST_F(LogTest, AutoTargetFollowsSystemdsEnvironment) {
  StderrCapture quiet;  // resolving to the journal on a machine without journald warns
  struct stat st {};
  ASSERT_EQ(fstat(STDERR_FILENO, &st), 0);
  const std::string stderrStream = std::to_string(st.st_dev) + ":" + std::to_string(st.st_ino);
  {
    ScopedEnv stream("JOURNAL_STREAM", nullptr);
    ScopedEnv invocation("INVOCATION_ID", nullptr);
    setTarget(Target::kAuto);
    EXPECT_EQ(activeTarget(), Target::kStderr);
  }
  {
    ScopedEnv stream("JOURNAL_STREAM", stderrStream.c_str());
    ScopedEnv invocation("INVOCATION_ID", nullptr);
    setTarget(Target::kAuto);
    EXPECT_EQ(activeTarget(), Target::kJournal);
  }
  {
    // stderr was redirected after systemd started us: not the journal stream any more.
    ScopedEnv stream("JOURNAL_STREAM", "1:2");
    ScopedEnv invocation("INVOCATION_ID", nullptr);
    setTarget(Target::kAuto);
    EXPECT_EQ(activeTarget(), Target::kStderr);
  }
  {
    ScopedEnv stream("JOURNAL_STREAM", nullptr);
    ScopedEnv invocation("INVOCATION_ID", "6a1b2f0c8e9d4b7aa1c2d3e4f5a6b7c8");
    setTarget(Target::kAuto);
    EXPECT_EQ(activeTarget(), Target::kJournal);
    setTarget(Target::kStderr);  // an explicit target wins
    EXPECT_EQ(activeTarget(), Target::kStderr);
  }
}

// ---------------------------------------------------------------------------------------
// Environment

TEST_F(LogTest, EnvironmentSetsLevelsAndTarget) {
  ScopedEnv levelEnv("EDGERT_LOG_LEVEL", "debug");
  ScopedEnv categoriesEnv("EDGERT_LOG", "camera=warning,,power=3,");
  ScopedEnv targetEnv("EDGERT_LOG_TARGET", "stderr");
  ScopedEnv invocation("INVOCATION_ID", "6a1b2f0c8e9d4b7aa1c2d3e4f5a6b7c8");
  std::string warnings;
  {
    StderrCapture capture;
    configureFromEnvironment();
    warnings = capture.text();
  }
  EXPECT_EQ(warnings, "");
  EXPECT_EQ(level(), Level::kDebug);
  EXPECT_EQ(levelFor("camera"), Level::kWarning);
  EXPECT_EQ(levelFor("power"), Level::kError);
  EXPECT_EQ(levelFor("sampler"), Level::kDebug);
  EXPECT_EQ(activeTarget(), Target::kStderr);
  debug(kTestLog, "debug shown");
  info(kCamera, "camera info hidden");
  EXPECT_EQ(sink_.messages(), std::vector<std::string>{"debug shown"});
}

TEST_F(LogTest, UnsetEnvironmentMeansDefaults) {
  ScopedEnv levelEnv("EDGERT_LOG_LEVEL", nullptr);
  ScopedEnv categoriesEnv("EDGERT_LOG", nullptr);
  ScopedEnv targetEnv("EDGERT_LOG_TARGET", nullptr);
  ScopedEnv stream("JOURNAL_STREAM", nullptr);
  ScopedEnv invocation("INVOCATION_ID", nullptr);
  setLevel(Level::kDebug);
  ASSERT_TRUE(setCategoryLevel("camera", Level::kError));
  setTarget(Target::kJournal);
  configureFromEnvironment();
  EXPECT_EQ(level(), Level::kInfo);
  EXPECT_EQ(levelFor("camera"), Level::kInfo);
  EXPECT_EQ(activeTarget(), Target::kStderr);
}

TEST_F(LogTest, InvalidEnvironmentFallsBackAndSaysSoOnce) {
  ScopedEnv levelEnv("EDGERT_LOG_LEVEL", "loud");
  ScopedEnv categoriesEnv("EDGERT_LOG", "camera=debug,power=loud");
  ScopedEnv targetEnv("EDGERT_LOG_TARGET", "syslog");
  ScopedEnv stream("JOURNAL_STREAM", nullptr);
  ScopedEnv invocation("INVOCATION_ID", nullptr);
  setLevel(Level::kDebug);
  fakeNowNs = 2 * kSecond;
  std::string warnings;
  {
    StderrCapture capture;
    configureFromEnvironment();
    info(kTestLog, "a line afterwards");  // goes to the capture sink, adds no warning
    warnings = capture.text();
  }
  EXPECT_EQ(warnings,
            "[    2.000000] W log: EDGERT_LOG_TARGET: unknown target \"syslog\" (expected auto, "
            "stderr or journal); using auto\n"
            "[    2.000000] W log: EDGERT_LOG_LEVEL: unknown level \"loud\" (expected critical, "
            "error, warning, notice, info, debug or 2 to 7); using info\n"
            "[    2.000000] W log: EDGERT_LOG: item 2 \"power=loud\": unknown level \"loud\" "
            "(expected critical, error, warning, notice, info, debug or 2 to 7); ignoring "
            "EDGERT_LOG\n");
  EXPECT_EQ(level(), Level::kInfo);
  EXPECT_EQ(levelFor("camera"), Level::kInfo);  // the valid item is dropped with the rest
  EXPECT_EQ(activeTarget(), Target::kStderr);
  EXPECT_EQ(sink_.messages(), std::vector<std::string>{"a line afterwards"});
}

TEST_F(LogTest, CategoryListSyntaxErrorsAreNamed) {
  const std::pair<const char*, const char*> cases[] = {
      {"camera", "EDGERT_LOG: item 1 \"camera\": expected category=level; ignoring EDGERT_LOG"},
      {"camera=debug,Power=info",
       "EDGERT_LOG: item 2 \"Power=info\": category name \"Power\": expected 1 to 31 of a-z, "
       "0-9, '.', '_' and '-'; ignoring EDGERT_LOG"},
      {"=debug",
       "EDGERT_LOG: item 1 \"=debug\": category name \"\": expected 1 to 31 of a-z, 0-9, '.', "
       "'_' and '-'; ignoring EDGERT_LOG"},
  };
  for (const auto& [value, message] : cases) {
    ScopedEnv categoriesEnv("EDGERT_LOG", value);
    std::string warnings;
    {
      StderrCapture capture;
      configureFromEnvironment();
      warnings = capture.text();
    }
    EXPECT_EQ(warnings, std::string("[    0.000000] W log: ") + message + "\n") << value;
    EXPECT_EQ(levelFor("camera"), level()) << value;
  }
}

// ---------------------------------------------------------------------------------------
// Memory

// Formats every record both ways into fixed storage, as the real sinks do.
class FormattingNullSink : public Sink {
 public:
  void write(const Record& record) override {
    formatJournalFields(record, journal_);
    bytes_ += formatStderrLine(record, line_).size() + journal_.fields().size();
  }
  std::size_t bytes() const { return bytes_; }

 private:
  JournalFields journal_;
  std::array<char, kStderrLineBytes> line_{};
  std::size_t bytes_ = 0;
};

TEST_F(LogTest, SteadyStateLinesAllocateNothing) {
  countAllocations = true;
  allocationCount = 0;
  int* volatile probe = new int(1);
  delete probe;
  const bool counterWorks = allocationCount == 1;
  countAllocations = false;
  if (!counterWorks) GTEST_SKIP() << "operator new is replaced elsewhere in this binary";

  FormattingNullSink sink;
  setSink(&sink);
  const std::string path = "/dev/video0";
  const std::string longText(2000, 'z');
  info(kSampler, "warm-up");  // the category's first line registers it
  countAllocations = true;
  allocationCount = 0;
  for (int i = 0; i < 50; ++i) {
    fakeNowNs += kSecond / 4;
    info(kSampler, "frame {} from {} took {:.3f} ms", i, path, 1.25 * i);
    event(kSampler, Level::kNotice, kCameraLostId, {{"DEVICE", path}, {"FRAME", i}},
          "camera {} lost", path);
    debug(kSampler, "below the level {}", i);
    info(kTestLog, "{}", std::string_view(path));
  }
  info(kTestLog, "{}", longText);  // truncated
  flushSuppressed();
  countAllocations = false;
  EXPECT_EQ(allocationCount, 0u);
  EXPECT_GT(sink.bytes(), 0u);

  // The stderr path too.
  setSink(nullptr);
  setTarget(Target::kStderr);
  const int devNull = open("/dev/null", O_WRONLY | O_CLOEXEC);
  ASSERT_GE(devNull, 0);
  const int saved = dup(STDERR_FILENO);
  dup2(devNull, STDERR_FILENO);
  (void)activeTarget();  // resolving the target is configuration, not a line
  countAllocations = true;
  allocationCount = 0;
  for (int i = 0; i < 20; ++i) warning(kCamera, "frame {} dropped", i);
  countAllocations = false;
  dup2(saved, STDERR_FILENO);
  close(saved);
  close(devNull);
  EXPECT_EQ(allocationCount, 0u);
}

}  // namespace
}  // namespace edgert::log
