// formatBoard(): the validated board description as `edgert board` prints it.
#include <fmt/format.h>

#include <iterator>

#include "edgert/hal/board.hpp"

namespace edgert::hal {

namespace {

std::string joined(const std::vector<std::string>& items) {
  std::string text;
  for (const std::string& item : items) {
    if (!text.empty()) text += ", ";
    text += item;
  }
  return text;
}

std::string_view cameraSourceKindText(CameraSourceKind kind) {
  switch (kind) {
    case CameraSourceKind::kSynthetic: return "generated frames";
    case CameraSourceKind::kV4l2Device: return "V4L2 device";
    case CameraSourceKind::kFile: return "file";
  }
  return "unknown";
}

std::string_view driverInterfaceText(PowerSensorDriver driver) {
  switch (driver) {
    case PowerSensorDriver::kIna3221Hwmon: return "hwmon";
    case PowerSensorDriver::kIna3221Iio: return "IIO";
  }
  return "unknown";
}

void appendIdentity(std::string& out, const Board& board) {
  auto line = std::back_inserter(out);
  fmt::format_to(line, "board: {}\n", board.name);
  if (!board.description.empty()) fmt::format_to(line, "  description: {}\n", board.description);
  if (board.arch == Arch::kAny) {
    fmt::format_to(line, "  arch: any (whatever this binary was built for)\n");
  } else {
    fmt::format_to(line, "  arch: {}\n", archName(board.arch));
  }
  if (!board.soc.empty()) fmt::format_to(line, "  soc: {}\n", board.soc);
  if (!board.compatible.empty()) fmt::format_to(line, "  compatible: {}\n", joined(board.compatible));
}

void appendPower(std::string& out, const Board::Power& power) {
  auto line = std::back_inserter(out);
  if (power.sensors.empty()) {
    fmt::format_to(line, "power: no sensors (no power readings)\n");
    return;
  }
  fmt::format_to(line, "power:\n");
  for (const Board::PowerSensor& sensor : power.sensors) {
    fmt::format_to(line, "  sensor {}-{:04x}: {} ({}), i2c bus {}, address {:#04x}, rails: {}\n",
                   sensor.i2cBus, sensor.i2cAddress, powerSensorDriverName(sensor.driver),
                   driverInterfaceText(sensor.driver), sensor.i2cBus, sensor.i2cAddress,
                   sensor.rails.empty() ? "every channel not labelled NC" : joined(sensor.rails));
  }
  switch (power.total) {
    case PowerTotal::kRail: fmt::format_to(line, "  total: rail {}\n", power.totalRail); break;
    case PowerTotal::kSumOfRails: fmt::format_to(line, "  total: sum of the rails\n"); break;
    case PowerTotal::kNone: fmt::format_to(line, "  total: none\n"); break;
  }
}

void appendGpu(std::string& out, const Board::Gpu& gpu) {
  auto line = std::back_inserter(out);
  fmt::format_to(line, "gpu:\n");
  fmt::format_to(line, "  devfreq names: {}\n",
                 gpu.devfreqNames.empty() ? "none (no devfreq GPU)" : joined(gpu.devfreqNames));
  fmt::format_to(line, "  OpenCL: {}", openClExpectationName(gpu.opencl));
  if (!gpu.openclNote.empty()) fmt::format_to(line, " ({})", gpu.openclNote);
  fmt::format_to(line, "\n");
  fmt::format_to(line, "  DRM drivers: {}\n",
                 gpu.drmDrivers.empty() ? "none listed" : joined(gpu.drmDrivers));
  if (!gpu.loadFile.empty()) fmt::format_to(line, "  load file: /sys/{}\n", gpu.loadFile);
}

}  // namespace

std::string formatBoard(const Board& board) {
  std::string out;
  auto line = std::back_inserter(out);
  appendIdentity(out, board);

  fmt::format_to(line, "cpu: {} cores, {} for inference\n", board.cpu.cores,
                 board.cpu.inferenceThreads);
  fmt::format_to(line, "memory: budget {} MiB, {}\n", board.memory.budgetMib,
                 board.memory.lock ? "locked in RAM (mlock)" : "not locked");

  const Board::Camera& camera = board.camera;
  fmt::format_to(line, "camera: {} ({}), {}x{} {} at {} fps, {} buffers\n", camera.source,
                 cameraSourceKindText(camera.sourceKind), camera.width, camera.height,
                 pixelFormatName(camera.format), camera.fps, camera.buffers);

  appendPower(out, board.power);
  appendGpu(out, board.gpu);

  fmt::format_to(line, "thermal:\n");
  fmt::format_to(line, "  zones: {}\n",
                 board.thermal.zones.empty() ? "every zone not ignored"
                                             : joined(board.thermal.zones));
  fmt::format_to(line, "  ignore: {}\n",
                 board.thermal.ignore.empty() ? "none" : joined(board.thermal.ignore));

  const Board::Watchdog& watchdog = board.watchdog;
  switch (watchdog.mode) {
    case WatchdogMode::kSystemd:
      fmt::format_to(line, "watchdog: systemd (sd_notify), timeout {} s\n",
                     watchdog.timeoutSeconds);
      break;
    case WatchdogMode::kDevice:
      fmt::format_to(line, "watchdog: device {}, timeout {} s\n", watchdog.device,
                     watchdog.timeoutSeconds);
      break;
    case WatchdogMode::kNone: fmt::format_to(line, "watchdog: none\n"); break;
  }
  return out;
}

}  // namespace edgert::hal
