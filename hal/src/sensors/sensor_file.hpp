// Internal to the sensors: one kept-open attribute file, read with pread at offset 0 (sysfs
// and procfs regenerate the value on every read from the start), and directory scanning
// that allocates nothing, for probes that run after start-up.
#pragma once

#include "edgert/hal/sensors.hpp"

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

namespace edgert::hal::sensors {

// The outcome of reading one integer.
struct IntRead {
  ReadingState state = ReadingState::kMissing;
  int sysErrno = 0;
  std::int64_t value = 0;
};

// The state a failed open or read means: EAGAIN offline, ENOENT/ENODEV/ENXIO missing.
ReadingState stateForErrno(int err);

class SensorFile {
 public:
  static constexpr std::size_t kMaxPathBytes = 512;

  SensorFile() = default;
  // Opens `path` (O_RDONLY | O_CLOEXEC). Never fails: a file that cannot be opened reads
  // as stateForErrno(errno) every time. No allocation.
  SensorFile(std::string_view path, SensorOptions::ReadAt readAt);
  SensorFile(SensorFile&& other) noexcept;
  SensorFile& operator=(SensorFile&& other) noexcept;
  SensorFile(const SensorFile&) = delete;
  SensorFile& operator=(const SensorFile&) = delete;
  ~SensorFile();

  bool isOpen() const { return fd_ >= 0; }
  int openErrno() const { return openErrno_; }
  std::string_view path() const { return {path_.data(), pathSize_}; }

  // Reads the whole value into `buf` (cut to its size); returns the byte count, or -1 with
  // the errno in `err`. Trailing whitespace and NULs are removed.
  std::ptrdiff_t readText(std::span<char> buf, int& err);
  // A base-10 integer; anything else is kError with EINVAL.
  IntRead readInt();

 private:
  void close();
  // Logs the first failure, and the recovery after one (debug level: the state is in the
  // sample itself; the caller decides what a user sees).
  void noteOutcome(ReadingState state, int err);

  int fd_ = -1;
  int openErrno_ = 0;
  SensorOptions::ReadAt readAt_ = nullptr;
  ReadingState lastState_ = ReadingState::kOk;
  std::array<char, kMaxPathBytes> path_{};
  std::size_t pathSize_ = 0;
};

// A path built in fixed storage: `Path p; p.append(root).append("/class/devfreq")`.
class PathBuffer {
 public:
  PathBuffer& append(std::string_view part);
  // False once an append did not fit; the path is then unusable.
  bool ok() const { return ok_; }
  std::string_view view() const { return {buf_.data(), size_}; }
  const char* c_str() const { return buf_.data(); }
  void truncate(std::size_t size) {
    size_ = size < size_ ? size : size_;
    buf_[size_] = '\0';
  }
  std::size_t size() const { return size_; }

 private:
  std::array<char, SensorFile::kMaxPathBytes> buf_{};
  std::size_t size_ = 0;
  bool ok_ = true;
};

// Calls fn(name) for each entry of `dir` (except . and ..) with getdents64 into a stack
// buffer; no allocation. Stops early when fn returns true. Returns false if `dir` cannot be
// opened.
template <typename Fn>
bool forEachEntry(const char* dir, Fn&& fn);

// Reads a small file into `buf` without keeping it open; trailing whitespace and NULs
// removed (device-tree `name` ends in a NUL). Returns the text, or an empty view.
std::string_view readSmallFile(const char* path, std::span<char> buf, SensorOptions::ReadAt readAt);

// Parses a base-10 integer that is the whole of `text`.
bool parseInt(std::string_view text, std::int64_t& value);

}  // namespace edgert::hal::sensors

#include "sensor_file_inl.hpp"
