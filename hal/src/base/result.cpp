#include "edgert/base/result.hpp"

#include <cerrno>
#include <cstdio>
#include <cstring>

namespace edgert {

std::string_view errcName(Errc code) {
  switch (code) {
    case Errc::kInvalidArgument: return "invalid-argument";
    case Errc::kNotFound: return "not-found";
    case Errc::kPermissionDenied: return "permission-denied";
    case Errc::kIo: return "io";
    case Errc::kParse: return "parse";
    case Errc::kSchema: return "schema";
    case Errc::kOutOfRange: return "out-of-range";
    case Errc::kUnsupported: return "unsupported";
    case Errc::kCorrupt: return "corrupt";
    case Errc::kTimeout: return "timeout";
    case Errc::kBusy: return "busy";
    case Errc::kDisconnected: return "disconnected";
    case Errc::kNoMemory: return "no-memory";
    case Errc::kInternal: return "internal";
  }
  return "unknown";
}

static Errc errcFromErrno(int err) {
  switch (err) {
    case ENOENT:
    case ENOTDIR: return Errc::kNotFound;
    case EACCES:
    case EPERM: return Errc::kPermissionDenied;
    case EINVAL: return Errc::kInvalidArgument;
    case ERANGE:
    case EOVERFLOW: return Errc::kOutOfRange;
    case ENOTSUP: return Errc::kUnsupported;  // == EOPNOTSUPP on Linux
    case ENOTTY: return Errc::kUnsupported;
    case ETIMEDOUT:
    case EAGAIN: return Errc::kTimeout;
    case EBUSY: return Errc::kBusy;
    case ENODEV:
    case ENXIO:
    case ESHUTDOWN: return Errc::kDisconnected;
    case ENOMEM: return Errc::kNoMemory;
    default: return Errc::kIo;
  }
}

Error Error::fromErrno(int err, std::string_view what) {
  char buf[128];
  // GNU strerror_r returns the string to use (not necessarily buf).
  const char* text = strerror_r(err, buf, sizeof buf);
  return Error(errcFromErrno(err), fmt::format("{}: {}", what, text), err);
}

Error Error::withContext(std::string_view context) && {
  message_ = fmt::format("{}: {}", context, message_);
  return std::move(*this);
}

namespace detail {
void badResultAccess(const Error& error) {
  std::fprintf(stderr, "edgert: value() of a failed Result (%.*s): %s\n",
               static_cast<int>(errcName(error.code()).size()), errcName(error.code()).data(),
               error.message().c_str());
  std::abort();
}
}  // namespace detail

}  // namespace edgert
