#include "sensor_file.hpp"

#include "edgert/base/log.hpp"

#include <fcntl.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstring>
#include <utility>

namespace edgert::hal {

EDGERT_LOG_CATEGORY(kLog, "sensors");

std::string_view readingStateName(ReadingState state) {
  switch (state) {
    case ReadingState::kOk: return "ok";
    case ReadingState::kOffline: return "offline";
    case ReadingState::kMissing: return "missing";
    case ReadingState::kError: return "error";
  }
  return "error";
}

std::string procfsBesideSysfs(const std::string& sysfsRoot) {
  std::string root = sysfsRoot;
  while (root.size() > 1 && root.back() == '/') root.pop_back();
  const std::size_t slash = root.rfind('/');
  if (slash == std::string::npos) return "proc";
  return root.substr(0, slash + 1) + "proc";
}

std::int64_t monotonicNowNs() {
  timespec ts{};
  ::clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<std::int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

namespace sensors {

namespace {
bool isTrailingSpace(char c) { return c == '\n' || c == ' ' || c == '\t' || c == '\r' || c == '\0'; }

ssize_t readAtOrPread(SensorOptions::ReadAt readAt, int fd, void* buf, std::size_t n) {
  ssize_t got;
  do {
    got = readAt != nullptr ? readAt(fd, buf, n, 0) : ::pread(fd, buf, n, 0);
  } while (got < 0 && errno == EINTR);
  return got;
}
}  // namespace

ReadingState stateForErrno(int err) {
  switch (err) {
    case EAGAIN: return ReadingState::kOffline;
    case ENOENT:
    case ENODEV:
    case ENXIO: return ReadingState::kMissing;
    default: return ReadingState::kError;
  }
}

bool parseInt(std::string_view text, std::int64_t& value) {
  if (text.empty()) return false;
  const char* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, value);
  return ec == std::errc() && ptr == end;
}

SensorFile::SensorFile(std::string_view path, SensorOptions::ReadAt readAt) : readAt_(readAt) {
  pathSize_ = std::min(path.size(), path_.size() - 1);
  std::memcpy(path_.data(), path.data(), pathSize_);
  path_[pathSize_] = '\0';
  if (pathSize_ != path.size()) {
    openErrno_ = ENAMETOOLONG;
  } else {
    fd_ = ::open(path_.data(), O_RDONLY | O_CLOEXEC);
    if (fd_ < 0) openErrno_ = errno;
  }
}

SensorFile::SensorFile(SensorFile&& other) noexcept
    : fd_(std::exchange(other.fd_, -1)),
      openErrno_(other.openErrno_),
      readAt_(other.readAt_),
      lastState_(other.lastState_),
      path_(other.path_),
      pathSize_(other.pathSize_) {}

SensorFile& SensorFile::operator=(SensorFile&& other) noexcept {
  if (this != &other) {
    close();
    fd_ = std::exchange(other.fd_, -1);
    openErrno_ = other.openErrno_;
    readAt_ = other.readAt_;
    lastState_ = other.lastState_;
    path_ = other.path_;
    pathSize_ = other.pathSize_;
  }
  return *this;
}

SensorFile::~SensorFile() { close(); }

void SensorFile::close() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

void SensorFile::noteOutcome(ReadingState state, int err) {
  if (state == lastState_) return;
  if (state == ReadingState::kOk) {
    log::debug(kLog, "{}: readable again", path());
  } else {
    log::debug(kLog, "{}: {} ({})", path(), readingStateName(state), std::strerror(err));
  }
  lastState_ = state;
}

std::ptrdiff_t SensorFile::readText(std::span<char> buf, int& err) {
  if (fd_ < 0) {
    err = openErrno_;
    noteOutcome(stateForErrno(err), err);
    return -1;
  }
  const ssize_t got = readAtOrPread(readAt_, fd_, buf.data(), buf.size());
  if (got < 0) {
    err = errno;
    noteOutcome(stateForErrno(err), err);
    return -1;
  }
  std::size_t n = static_cast<std::size_t>(got);
  while (n > 0 && isTrailingSpace(buf[n - 1])) --n;
  err = 0;
  return static_cast<std::ptrdiff_t>(n);
}

IntRead SensorFile::readInt() {
  std::array<char, 32> buf;
  IntRead out;
  const std::ptrdiff_t n = readText(buf, out.sysErrno);
  if (n < 0) {
    out.state = stateForErrno(out.sysErrno);
    return out;
  }
  if (!parseInt({buf.data(), static_cast<std::size_t>(n)}, out.value)) {
    out.state = ReadingState::kError;
    out.sysErrno = EINVAL;
    noteOutcome(out.state, out.sysErrno);
    return out;
  }
  out.state = ReadingState::kOk;
  noteOutcome(out.state, 0);
  return out;
}

PathBuffer& PathBuffer::append(std::string_view part) {
  if (!ok_ || size_ + part.size() >= buf_.size()) {
    ok_ = false;
    return *this;
  }
  std::memcpy(buf_.data() + size_, part.data(), part.size());
  size_ += part.size();
  buf_[size_] = '\0';
  return *this;
}

std::string_view readSmallFile(const char* path, std::span<char> buf, SensorOptions::ReadAt readAt) {
  const int fd = ::open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return {};
  const ssize_t got = readAtOrPread(readAt, fd, buf.data(), buf.size());
  ::close(fd);
  if (got <= 0) return {};
  std::size_t n = static_cast<std::size_t>(got);
  while (n > 0 && isTrailingSpace(buf[n - 1])) --n;
  return {buf.data(), n};
}

}  // namespace sensors
}  // namespace edgert::hal
