// The status line and the Prometheus file come from one StatusSnapshot: the same counters,
// the same moment, each in its own units.
#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>

#include "outputs.hpp"

namespace edgert::runtime {
namespace {

StatusSnapshot snapshot() {
  StatusSnapshot s;
  s.frames = 1234;
  s.detections = 56;
  s.dropped = 7;
  s.cameraLost = 1;
  s.fps = 29.97;
  s.latencyP50 = 0.0123;
  s.latencyP99 = 0.0456;
  s.cpuLoad = 0.42;
  s.haveWatts = true;
  s.watts = 5.5;
  s.joulesPerInference = 5.5 * 0.0123;
  s.bundleVersion = "1.4.0";
  s.bundleSlot = 'b';
  s.bundleTrial = true;
  s.trialGoodFrames = 3;
  s.trialFrames = 30;
  s.slotStates = {"ok", "pending"};
  return s;
}

TEST(StatusSnapshot, TheStatusLineSaysWhatTheSnapshotHolds) {
  TextBuffer line(512);
  formatStatusLine(line, snapshot());
  EXPECT_EQ(line.view(),
            "run 30.0 fps, infer p50 12.3 ms p99 45.6 ms, 56 det, frames 1234, drops 7, cpu 42%, 5.50 W, "
            "67.7 mJ/inf, bundle 1.4.0 (slot b, on trial 3/30)");
  StatusSnapshot lost = snapshot();
  lost.cameraLostNow = true;
  lost.bundleVersion = {};
  lost.cpuLoad = -1;
  lost.haveWatts = false;
  formatStatusLine(line, lost);
  EXPECT_EQ(line.view(), "camera-lost 30.0 fps, infer p50 12.3 ms p99 45.6 ms, 56 det, frames 1234, drops 7");
}

TEST(StatusSnapshot, ThePrometheusFileHasTheSameNumbers) {
  const std::string path = ::testing::TempDir() + "edgert-status-snapshot.prom";
  PrometheusFile file;
  file.open(path);
  file.write(snapshot());
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  const std::string m = text.str();
  for (const char* want : {"\nedgert_frames_total 1234\n", "\nedgert_detections_total 56\n",
                           "\nedgert_frames_per_second 29.970\n",
                           "\nedgert_inference_latency_seconds{quantile=\"0.5\"} 0.012300\n",
                           "\nedgert_inference_latency_seconds{quantile=\"0.99\"} 0.045600\n",
                           "\nedgert_camera_dropped_frames_total 7\n", "\nedgert_board_power_watts 5.500\n",
                           "\nedgert_energy_per_inference_joules 0.067650\n", "\nedgert_cpu_load_ratio 0.4200\n",
                           "\nedgert_update_active_info{version=\"1.4.0\",slot=\"b\",trial=\"1\"} 1\n"}) {
    EXPECT_NE(m.find(want), std::string::npos) << "missing " << want << " in:\n" << m;
  }
  std::remove(path.c_str());
}

}  // namespace
}  // namespace edgert::runtime
