#include "edgert/hal/sysfs.hpp"

#include <cerrno>
#include <charconv>
#include <fcntl.h>
#include <unistd.h>

namespace edgert::hal {

Result<std::string> readSysfsString(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return Error::fromErrno(errno, "open " + path);
  // Attribute files are at most a page; 4 KiB covers every one edgert reads.
  char buf[4096];
  ssize_t n;
  do {
    n = ::read(fd, buf, sizeof buf);
  } while (n < 0 && errno == EINTR);
  const int err = errno;
  ::close(fd);
  if (n < 0) return Error::fromErrno(err, "read " + path);
  std::string text(buf, static_cast<size_t>(n));
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ' || text.back() == '\t' ||
                           text.back() == '\r' || text.back() == '\0')) {
    text.pop_back();
  }
  return text;
}

Result<std::int64_t> readSysfsInt(const std::string& path) {
  EDGERT_ASSIGN_OR_RETURN(const std::string text, readSysfsString(path));
  std::int64_t value = 0;
  const char* begin = text.data();
  const char* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(begin, end, value);
  if (ec != std::errc() || ptr != end || text.empty()) {
    return makeError(Errc::kParse, "{}: expected an integer, found \"{}\"", path, text);
  }
  return value;
}

}  // namespace edgert::hal
