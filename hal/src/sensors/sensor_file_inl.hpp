// forEachEntry, a template over the callback (included by sensor_file.hpp).
#pragma once

#include <fcntl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cstddef>
#include <cstring>

namespace edgert::hal::sensors {

namespace detail {
// The layout getdents64(2) fills in.
struct LinuxDirent64 {
  std::uint64_t ino;
  std::int64_t off;
  unsigned short reclen;
  unsigned char type;
  char name[1];
};
}  // namespace detail

template <typename Fn>
bool forEachEntry(const char* dir, Fn&& fn) {
  const int fd = ::open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return false;
  alignas(8) char buf[4096];
  bool stop = false;
  while (!stop) {
    const long n = ::syscall(SYS_getdents64, fd, buf, sizeof buf);
    if (n <= 0) break;
    for (long pos = 0; pos < n && !stop;) {
      detail::LinuxDirent64 entry;
      std::memcpy(&entry, buf + pos, offsetof(detail::LinuxDirent64, name));
      const char* name = buf + pos + offsetof(detail::LinuxDirent64, name);
      pos += entry.reclen;
      const std::string_view view(name);
      if (view == "." || view == "..") continue;
      stop = fn(view);
    }
  }
  ::close(fd);
  return true;
}

}  // namespace edgert::hal::sensors
