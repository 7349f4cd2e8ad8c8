#include "commands.hpp"

#include "edgert/hal/board.hpp"
#include "edgert/hal/inventory.hpp"

namespace edgert::cli {

int runInventory(Args args, Io io) {
  std::optional<std::string> boardPath, sysfsRoot, devRoot;
  std::vector<std::string> positionals;
  if (int rc = parseOptions(args, io,
                            {{"board", true, &boardPath},
                             {"sysfs-root", true, &sysfsRoot},
                             {"dev-root", true, &devRoot}},
                            positionals);
      rc != kExitOk) {
    return rc < 0 ? kExitOk : rc;
  }
  if (!positionals.empty()) {
    print(io.err, "edgert inventory: unexpected argument '{}'\n", positionals[0]);
    return kExitUsage;
  }
  Result<hal::Board> board = boardPath ? hal::loadBoardFile(*boardPath) : hal::loadDefaultBoard();
  if (!board) {
    print(io.err, "{}\n", board.error().message());
    return kExitConfigInvalid;
  }
  hal::InventoryOptions options;
  if (sysfsRoot) options.sysfsRoot = *sysfsRoot;
  if (devRoot) options.devRoot = *devRoot;
  print(io.out, "{}\n{}", hal::formatBoard(*board), hal::formatInventory(hal::takeInventory(options)));
  return kExitOk;
}

}  // namespace edgert::cli
