// Result<T>: the one error convention of edgert.
//
// Fallible actions return Result<T>: either a value or an Error carrying a code (what kind
// of failure, for callers that branch on it), the errno where a syscall failed, and a
// message with context for people ("board/orin.toml:12:5: power.total: expected ...").
// No exceptions cross library boundaries; predicates return bool.
#pragma once

#include <fmt/format.h>

#include <cstdint>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace edgert {

enum class Errc : std::uint8_t {
  kInvalidArgument = 1,  // the caller asked for something malformed
  kNotFound,             // a file, device, key or node is not there
  kPermissionDenied,
  kIo,                   // read/write/ioctl failed for another reason
  kParse,                // syntax error in a file (TOML, npy, ...)
  kSchema,               // well-formed input that breaks the documented schema
  kOutOfRange,
  kUnsupported,          // valid, but this build or device cannot do it
  kCorrupt,              // checksum or structure of a binary image is wrong
  kTimeout,
  kBusy,
  kDisconnected,         // the device went away (ENODEV, unplugged camera)
  kNoMemory,             // allocation or memory budget exceeded
  kInternal,             // a bug: an invariant did not hold
};

// Stable lower-case name of a code ("not-found"), for logs and JSON.
std::string_view errcName(Errc code);

class Error {
 public:
  Error(Errc code, std::string message, int sysErrno = 0)
      : message_(std::move(message)), sysErrno_(sysErrno), code_(code) {}

  // From a failed syscall: "open /dev/video0: No such file or directory". The code is
  // derived from errno (ENOENT -> kNotFound, ENODEV -> kDisconnected, ...).
  static Error fromErrno(int err, std::string_view what);

  Errc code() const { return code_; }
  const std::string& message() const { return message_; }
  // errno of the failed syscall, 0 when the error did not come from one.
  int sysErrno() const { return sysErrno_; }

  // Prefixes the message with what the caller was doing: "loading model: <message>".
  Error withContext(std::string_view context) &&;

 private:
  std::string message_;
  int sysErrno_;
  Errc code_;
};

template <typename... Args>
Error makeError(Errc code, fmt::format_string<Args...> format, Args&&... args) {
  return Error(code, fmt::format(format, std::forward<Args>(args)...));
}

namespace detail {
[[noreturn]] void badResultAccess(const Error& error);
}  // namespace detail

template <typename T = void>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::in_place_index<0>, std::move(value)) {}  // NOLINT: implicit
  Result(Error error) : v_(std::in_place_index<1>, std::move(error)) {}  // NOLINT: implicit

  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }

  // Accessing the value of a failed Result is a bug: it aborts with the error message.
  T& value() & { check(); return std::get<0>(v_); }
  const T& value() const& { check(); return std::get<0>(v_); }
  T&& value() && { check(); return std::get<0>(std::move(v_)); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

  T valueOr(T fallback) const& { return ok() ? std::get<0>(v_) : std::move(fallback); }

  // Only valid when !ok().
  const Error& error() const& { return std::get<1>(v_); }
  Error&& error() && { return std::get<1>(std::move(v_)); }

 private:
  void check() const {
    if (!ok()) detail::badResultAccess(std::get<1>(v_));
  }
  std::variant<T, Error> v_;
};

template <>
class [[nodiscard]] Result<void> {
 public:
  Result() = default;
  Result(Error error) : error_(std::move(error)) {}  // NOLINT: implicit

  bool ok() const { return !error_.has_value(); }
  explicit operator bool() const { return ok(); }
  void value() const {
    if (error_) detail::badResultAccess(*error_);
  }
  const Error& error() const& { return *error_; }
  Error&& error() && { return std::move(*error_); }

 private:
  std::optional<Error> error_;
};

// The successful Result<void>.
inline Result<void> success() { return {}; }

}  // namespace edgert

// Returns the error of a failed Result<...> expression from the enclosing function.
#define EDGERT_TRY(expr)                                   \
  do {                                                     \
    if (auto edgertTryResult_ = (expr); !edgertTryResult_) \
      return std::move(edgertTryResult_).error();          \
  } while (0)

#define EDGERT_CONCAT_INNER_(a, b) a##b
#define EDGERT_CONCAT_(a, b) EDGERT_CONCAT_INNER_(a, b)

// `EDGERT_ASSIGN_OR_RETURN(auto fd, openDevice(path));` declares `fd` from the value, or
// returns the error from the enclosing function.
#define EDGERT_ASSIGN_OR_RETURN(lhs, expr) \
  EDGERT_ASSIGN_OR_RETURN_IMPL_(EDGERT_CONCAT_(edgertResult_, __LINE__), lhs, expr)
#define EDGERT_ASSIGN_OR_RETURN_IMPL_(tmp, lhs, expr) \
  auto tmp = (expr);                                  \
  if (!tmp) return std::move(tmp).error();            \
  lhs = std::move(tmp).value()
