#include "commands.hpp"

#include "edgert/hal/board.hpp"

namespace edgert::cli {

int runBoard(Args args, Io io) {
  std::vector<std::string> positionals;
  if (int rc = parseOptions(args, io, {}, positionals); rc != kExitOk) return rc < 0 ? kExitOk : rc;
  if (positionals.size() > 1) {
    print(io.err, "edgert board: takes at most one FILE, found {}\n", positionals.size());
    return kExitUsage;
  }
  Result<hal::Board> board =
      positionals.empty() ? hal::loadDefaultBoard() : hal::loadBoardFile(positionals[0]);
  if (!board) {
    print(io.err, "{}\n", board.error().message());
    return kExitConfigInvalid;
  }
  print(io.out, "{}", hal::formatBoard(*board));
  return kExitOk;
}

}  // namespace edgert::cli
