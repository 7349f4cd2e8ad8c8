// Every sensor of a board, and whether the OpenCL backend can run on it.
#include "sensor_file.hpp"

#include <fmt/format.h>

namespace edgert::hal {

OpenClStatus describeOpenCl(const Board::Gpu& gpu,
                            const Result<std::vector<OpenClPlatform>>& platforms) {
  if (gpu.opencl == OpenClExpectation::kNone) {
    return {false, gpu.openclNote.empty() ? std::string("the board has no OpenCL driver") : gpu.openclNote};
  }
  if (!platforms.ok()) return {false, platforms.error().message()};
  // Prefer a GPU; any device will do otherwise (PoCL's CPU device on a host).
  const OpenClDevice* chosen = nullptr;
  const OpenClPlatform* chosenPlatform = nullptr;
  for (const OpenClPlatform& p : *platforms) {
    for (const OpenClDevice& d : p.devices) {
      if (chosen == nullptr || (d.type == "gpu" && chosen->type != "gpu")) {
        chosen = &d;
        chosenPlatform = &p;
      }
    }
  }
  if (chosen == nullptr) {
    return {false, fmt::format("the ICD loader found {} OpenCL platform(s) but no device", platforms->size())};
  }
  return {true, fmt::format("{} device {} ({}), {}", chosen->type, chosen->name, chosenPlatform->name,
                            chosen->driverVersion)};
}

SensorSet::SensorSet(PowerMonitor power, ThermalMonitor thermal, CpuMonitor cpu, GpuMonitor gpu)
    : power_(std::move(power)), thermal_(std::move(thermal)), cpu_(std::move(cpu)), gpu_(std::move(gpu)) {}

Result<SensorSet> SensorSet::open(const Board& board, const SensorOptions& options) {
  EDGERT_ASSIGN_OR_RETURN(PowerMonitor power, PowerMonitor::open(board.power, options));
  EDGERT_ASSIGN_OR_RETURN(ThermalMonitor thermal, ThermalMonitor::open(board.thermal, options));
  EDGERT_ASSIGN_OR_RETURN(CpuMonitor cpu, CpuMonitor::open(board.cpu.cores, options));
  EDGERT_ASSIGN_OR_RETURN(GpuMonitor gpu, GpuMonitor::open(board.gpu, options));
  return SensorSet(std::move(power), std::move(thermal), std::move(cpu), std::move(gpu));
}

void SensorSet::read(SensorSample& out, std::int64_t nowNs) {
  out.timeNs = nowNs;
  power_.read(out.rails, out.total);
  thermal_.read(out.zones);
  cpu_.read(out.cpu);
  gpu_.read(out.gpu, nowNs);
}

std::vector<std::string> SensorSet::problems() const {
  std::vector<std::string> out;
  for (const auto* list : {&power_.problems(), &thermal_.problems(), &cpu_.problems(), &gpu_.problems()}) {
    out.insert(out.end(), list->begin(), list->end());
  }
  return out;
}

}  // namespace edgert::hal
