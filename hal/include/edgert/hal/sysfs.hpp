// Reading sysfs/procfs attribute files: one small text value per file. Every path is
// given in full, so tests point them at fixture trees (a `--sysfs-root`).
#pragma once

#include "edgert/base/result.hpp"

#include <cstdint>
#include <string>

namespace edgert::hal {

// The file's contents with trailing whitespace removed. Errors name the path and keep
// errno: EAGAIN (a sensor that is offline right now) comes back as Errc::kTimeout.
Result<std::string> readSysfsString(const std::string& path);

// The file's contents as a base-10 integer ("-256", "45000\n"); anything else is a
// kParse error naming the path and what was found.
Result<std::int64_t> readSysfsInt(const std::string& path);

}  // namespace edgert::hal
