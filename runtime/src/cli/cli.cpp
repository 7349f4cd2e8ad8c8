#include "commands.hpp"

#include "edgert/runtime/build_info.hpp"

#include <array>
#include <charconv>
#include <csignal>
#include <cstring>

namespace edgert::cli {
namespace {

// Every command listed here works; nothing is listed before it does.
constexpr std::array kCommands{
    Command{"version", "", "Print version, git revision, target architecture and build type",
            "", runVersion},
    Command{"board", "[FILE]",
            "Validate a board description and print it (default: the embedded host-sim board)",
            "  FILE  a board TOML file (schema: board/README.md); without it, the host-sim\n"
            "        board compiled into this binary is used.\n",
            runBoard},
    Command{"inventory", "[--board FILE] [--sysfs-root DIR]",
            "Print the board and what the HAL finds on this machine",
            "  --board FILE       board description (default: the embedded host-sim board)\n"
            "  --sysfs-root DIR   read sysfs from DIR instead of /sys (fixture trees)\n"
            "  --dev-root DIR     name device nodes under DIR instead of /dev\n",
            runInventory},
    Command{"inspect", "MODEL.edgm", "Validate a model image and print its ops, tensors and arena plan",
            "  MODEL.edgm  a model image written by edgert-compile\n", runInspect},
    Command{"infer", "MODEL.edgm --in NAME=FILE.npy ... --out-dir DIR",
            "Run one inference on .npy inputs and write one .npy per output",
            "  --in NAME=FILE.npy  an input (NAME= may be left out when the model has one input)\n"
            "  --out-dir DIR       where to write <output name>.npy files (created if missing)\n",
            runInfer},
    Command{"sensors", "--board FILE [--sysfs-root DIR] [--interval MS] [--count N] [--json]",
            "Print power, temperatures, CPU and GPU load and frequencies, one line per sample",
            "  --board FILE        board description (default: the embedded host-sim board)\n"
            "  --sysfs-root DIR    read sysfs from DIR instead of /sys, and procfs from the\n"
            "                      'proc' directory beside DIR (a fixture tree holds sys/ and proc/)\n"
            "  --procfs-root DIR   read procfs from DIR instead\n"
            "  --interval MS       milliseconds between samples (default 1000)\n"
            "  --count N           stop after N samples (default: run until SIGINT or SIGTERM)\n"
            "  --json              one JSON object per sample instead of a tegrastats-like line\n",
            runSensors},
    Command{"run", "--config FILE [--source SRC] [--frames N]",
            "Run the inference service: capture, infer, publish detections and status",
            "  --config FILE  the application config (schema: systemd/README.md)\n"
            "  --source SRC   replace the camera source: /dev/videoN, synthetic, an image (replayed\n"
            "                 as a stream) or a video file\n"
            "  --frames N     stop after N frames (demo mode)\n"
            "Signals: SIGTERM/SIGINT stop cleanly; SIGHUP reloads the config if it is valid;\n"
            "  SIGUSR1 writes a snapshot: the next frame as a PNG with its detections drawn\n"
            "  (boxes, keypoints, text and score), atomically, to snapshot.png in\n"
            "  output.snapshot_dir (default: the state directory, $STATE_DIRECTORY under\n"
            "  systemd: /var/lib/edgert/snapshot.png; else the working directory). With\n"
            "  output.snapshot_interval_s = N one is also written every N seconds.\n"
            "A V4L2 camera that is not there yet is waited for (the status line says so).\n"
            "Exit codes: 0 stopped, 1 failure or internal fault, 3 idle (idle.action = exit),\n"
            "  4 idle under systemd with idle.action = poweroff (the unit powers off), 64 usage,\n"
            "  65 invalid model image, 69 camera or device unavailable, 78 invalid config,\n"
            "  missing model image or memory budget exceeded.\n",
            runService},
    Command{"update", "install FILE|- | status [--json] [--verify] | commit | rollback  [options]",
            "Install an over-the-air bundle into the inactive slot, show, commit or roll back",
            "  install FILE|-     verify a bundle (.edgb; - reads standard input) and write it into\n"
            "                     the inactive slot; it runs on trial from the service's next start\n"
            "    --keys DIR       trusted.d/ and revoked.d/ with Ed25519 *.pub keys\n"
            "                     (default: update.keys of the config, /etc/edgert/keys)\n"
            "    --compatible S   this device's compatible string (default: update.compatible,\n"
            "                     else the board's name)\n"
            "    --allow-downgrade  install a version below the committed one or the floor\n"
            "    --max-mib N      refuse payload files over N MiB (default 1024)\n"
            "  status [--json]    the slots, the current one, the version floor, the service's health\n"
            "    --verify         re-hash each slot that may run against its manifest; exit 1 when\n"
            "                     one is damaged\n"
            "  commit             wait until the service committed the newest install after its\n"
            "                     health check (exit 0), or rolled it back (exit 1)\n"
            "    --timeout S      give up after S seconds (default 300)\n"
            "    --force          commit it now, without the service's health check\n"
            "  rollback           mark the slot on trial failed and go back to the last good one;\n"
            "                     with none on trial, switch to the other slot when it is good\n"
            "Every action: --state-dir DIR (default: update.state_dir of the config, else\n"
            "  /var/lib/edgert) and --config FILE (the device's config, default\n"
            "  /etc/edgert/edgert.toml). Format and slots: runtime/BUNDLE_FORMAT.md.\n"
            "Exit codes: 0 done, 1 failure (commit: rolled back or still on trial), 64 usage,\n"
            "  65 bundle refused (signature, structure, digest, compatible, version, model or\n"
            "  config refused), 74 disk error (full), 75 a trial or another install is running,\n"
            "  78 no keys or config. A refused bundle changes no slot.\n",
            runUpdate},
    Command{"health", "[--wait SECONDS] [--state-dir DIR]",
            "Exit 0 when the service runs and reports healthy (for root-filesystem updaters)",
            "  --wait SECONDS   keep asking for up to SECONDS (default 0: ask once)\n"
            "  --state-dir DIR  where the service writes its health (default: update.state_dir\n"
            "                   of --config FILE, else /var/lib/edgert)\n"
            "Healthy: a live edgert service of this boot passed its health check (a bundle on\n"
            "trial: warm-up and trial frames; otherwise: frames flow). Exit 1 otherwise.\n",
            runHealth},
    Command{"camera-test",
            "[--source SRC] [--width W] [--height H] [--fps F] [--format FMT] [--frames N]",
            "Capture from a camera or file source and print fps, drops and format",
            "  --source SRC     /dev/videoN, a /dev/v4l/by-id or by-path name, synthetic,\n"
            "                   an image (.png .jpg) or a video (.y4m .yuyv .nv12 .grey .rgb)\n"
            "                   (default: the board's camera)\n"
            "  --board FILE     board description for the defaults (default: host-sim)\n"
            "  --width W --height H --fps F   what to ask for (default: the board's)\n"
            "  --format FMT     YUYV, NV12, GREY, RGB24 or MJPEG (default: the board's)\n"
            "  --buffers N      capture buffers (default: the board's)\n"
            "  --frames N       stop after N frames (default 100; 0: until SIGINT/SIGTERM)\n"
            "  --timeout MS     give up when no frame arrives for MS ms (default 5000)\n"
            "  --fast           files and synthetic: as fast as possible, not at their rate\n"
            "  --dmabuf         export the buffers as DMABUF (VIDIOC_EXPBUF) and report it\n"
            "  --json           print the summary as one JSON object\n",
            runCameraTest},
    Command{"bench", "MODEL.edgm [--threads N] [--iters K] [--warmup W] [--json] [--profile]",
            "Time a model: latency min/p50/p99, cold start, peak RSS, arena bytes",
            "  --threads N   threads the kernels run on, this one included (1..256, default 1)\n"
            "  --iters K     timed inferences (default 100)\n"
            "  --warmup W    untimed inferences first (default 10)\n"
            "  --json        one JSON object instead of text\n"
            "  --profile     K more inferences timing each op: the time by op and variant and\n"
            "                the slowest ops (JSON: a \"profile\" array)\n"
            "Cold start: a fresh edgert process from exec to its first inference completed\n"
            "(model mapped and validated included), and that process's peak RSS.\n",
            runBench},
    Command{"bench-cold", "MODEL.edgm THREADS", "", "", runBenchCold, true},
};

const Command* findCommand(std::string_view name) {
  for (const Command& c : kCommands) {
    if (c.name == name) return &c;
  }
  return nullptr;
}

void printUsage(std::FILE* f) {
  print(f, "edgert {} - static inference runtime for camera edge devices\n\n", buildInfo().version);
  print(f, "Usage: edgert <command> [arguments]\n\nCommands:\n");
  for (const Command& c : kCommands) {
    if (c.internal) continue;
    std::string head = fmt::format("{} {}", c.name, c.synopsis);
    if (head.size() <= 26) {
      print(f, "  {:<26} {}\n", head, c.summary);
    } else {
      print(f, "  {}\n  {:<26} {}\n", head, "", c.summary);
    }
  }
  print(f,
        "\nRun 'edgert help COMMAND' for a command's arguments.\n"
        "Logging: EDGERT_LOG_LEVEL, EDGERT_LOG and EDGERT_LOG_TARGET (see README.md).\n");
}

int printCommandHelp(const Command& c, std::FILE* f) {
  print(f, "Usage: edgert {} {}\n\n{}\n", c.name, c.synopsis, c.summary);
  if (!c.details.empty()) print(f, "\n{}", c.details);
  return kExitOk;
}

}  // namespace

namespace {
volatile std::sig_atomic_t gStopRequested = 0;
void requestStop(int) { gStopRequested = 1; }
}  // namespace

StopSignals::StopSignals() {
  gStopRequested = 0;
  struct sigaction sa {};
  sa.sa_handler = requestStop;
  sigemptyset(&sa.sa_mask);
  ::sigaction(SIGINT, &sa, &oldInt_);
  ::sigaction(SIGTERM, &sa, &oldTerm_);
}

StopSignals::~StopSignals() {
  ::sigaction(SIGINT, &oldInt_, nullptr);
  ::sigaction(SIGTERM, &oldTerm_, nullptr);
}

bool stopRequested() { return gStopRequested != 0; }

bool parseInteger(const std::string& text, long min, long max, long& out) {
  const char* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, out);
  return ec == std::errc() && ptr == end && out >= min && out <= max;
}

int parseOptions(Args args, Io io, const std::vector<OptionSpec>& specs,
                 std::vector<std::string>& positionals) {
  std::vector<option> longOptions;
  for (size_t i = 0; i < specs.size(); ++i) {
    longOptions.push_back({specs[i].name, specs[i].takesValue ? required_argument : no_argument,
                           nullptr, static_cast<int>(256 + i)});
  }
  longOptions.push_back({"help", no_argument, nullptr, 'h'});
  longOptions.push_back({nullptr, 0, nullptr, 0});

  optind = 0;  // glibc: full re-initialisation, so run() can be called repeatedly
  opterr = 0;
  for (;;) {
    const int c = getopt_long(args.argc, args.argv, "h", longOptions.data(), nullptr);
    if (c == -1) break;
    if (c == 'h') {
      if (const Command* cmd = findCommand(args.argv[0])) printCommandHelp(*cmd, io.out);
      return -1;  // help printed: the caller returns kExitOk
    }
    if (c == '?' || c == ':') {
      // getopt_long has stepped past the offending argument.
      const char* arg = args.argv[optind > 1 ? optind - 1 : 1];
      if (optopt >= 256) {
        print(io.err, "edgert {}: option '{}' needs a value\n", args.argv[0], arg);
      } else {
        print(io.err, "edgert {}: unknown option '{}'\n", args.argv[0], arg);
      }
      print(io.err, "Run 'edgert help {}' for its arguments.\n", args.argv[0]);
      return kExitUsage;
    }
    const OptionSpec& spec = specs[static_cast<size_t>(c - 256)];
    std::string given = spec.takesValue ? std::string(optarg) : std::string();
    if (spec.values != nullptr) {
      spec.values->push_back(std::move(given));
    } else {
      *spec.value = std::move(given);
    }
  }
  for (int i = optind; i < args.argc; ++i) positionals.emplace_back(args.argv[i]);
  return kExitOk;
}

int run(int argc, char** argv, Io io) {
  if (argc < 2) {
    printUsage(io.err);
    return kExitUsage;
  }
  const std::string_view first = argv[1];
  if (first == "--help" || first == "-h") {
    printUsage(io.out);
    return kExitOk;
  }
  if (first == "--version") return runVersion({1, argv + 1}, io);
  if (first == "help") {
    if (argc < 3) {
      printUsage(io.out);
      return kExitOk;
    }
    if (const Command* c = findCommand(argv[2])) return printCommandHelp(*c, io.out);
    print(io.err, "edgert: no such command '{}'; run 'edgert --help' for the list\n", argv[2]);
    return kExitUsage;
  }
  const Command* command = findCommand(first);
  if (command == nullptr) {
    print(io.err, "edgert: unknown command '{}'; run 'edgert --help' for the list\n", first);
    return kExitUsage;
  }
  return command->run({argc - 1, argv + 1}, io);
}

}  // namespace edgert::cli
