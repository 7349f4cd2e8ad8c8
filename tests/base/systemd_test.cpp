// libsystemd is opened on first use, not linked (hal/include/edgert/base/systemd.hpp): a
// process that never logs to the journal or notifies systemd never maps it; when opened,
// every entry point is bound; a missing library or symbol is named in the error.
#include "edgert/base/systemd.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <string>

namespace edgert::systemd {
namespace {

bool mapped(std::string_view soname) {
  std::ifstream maps("/proc/self/maps");
  std::stringstream text;
  text << maps.rdbuf();
  return text.str().find(soname) != std::string::npos;
}

// One test for the whole sequence: gtest runs the tests of a binary in one process, and
// the library, once opened, stays.
TEST(Systemd, OpenedOnFirstUseWithEveryEntryPoint) {
  ASSERT_FALSE(mapped("libsystemd.so")) << "libsystemd is mapped before anything asked for it (linked again?)";
  const Library* lib = library();
  ASSERT_NE(lib, nullptr) << loadError();
  EXPECT_TRUE(mapped("libsystemd.so"));
  EXPECT_NE(lib->journalSendv, nullptr);
  EXPECT_NE(lib->notify, nullptr);
  EXPECT_NE(lib->watchdogEnabled, nullptr);
  EXPECT_NE(lib->busOpenSystem, nullptr);
  EXPECT_NE(lib->busCallMethod, nullptr);
  EXPECT_NE(lib->busErrorFree, nullptr);
  EXPECT_NE(lib->busUnref, nullptr);
  EXPECT_EQ(library(), lib) << "opened once";
  // Not under systemd: $NOTIFY_SOCKET unset, sd_notify sends nothing and says so (0).
  ::unsetenv("NOTIFY_SOCKET");
  EXPECT_EQ(lib->notify(0, "READY=1"), 0);
}

TEST(Systemd, AMissingLibraryIsNamed) {
  Library out;
  std::string error;
  EXPECT_FALSE(open("libedgert-no-such-library.so.0", out, error));
  EXPECT_NE(error.find("cannot open libedgert-no-such-library.so.0"), std::string::npos) << error;
  EXPECT_EQ(out.notify, nullptr) << "nothing bound";
}

TEST(Systemd, AMissingEntryPointIsNamed) {
  Library out;
  std::string error;
  // The C library is there but has none of libsystemd's functions.
  EXPECT_FALSE(open("libc.so.6", out, error));
  EXPECT_EQ(error, "libc.so.6 has no sd_journal_sendv");
  EXPECT_EQ(out.journalSendv, nullptr);
}

}  // namespace
}  // namespace edgert::systemd
