// Reading text from the camera, end to end: the OCR demo config (systemd/demo-ocr.toml) run
// as `edgert run --config ... --source IMAGE --frames 1` on images rendered by
// make-text-images.sh (lines of known text, straight, rotated, one upside down) must print
// exactly their lines; a photo without text (skimage's coffee) prints none. Then the OCR
// pipeline in the service loop: 1,000 frames, each reading a line, with no heap allocation,
// sequential and pipelined; and a snapshot of an OCR frame. This binary counts allocations
// (tests/support/alloc_counter.cpp).
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <cstdlib>
#include <string_view>
#include <sstream>
#include <string>
#include <vector>

#include "edgert/runtime/service.hpp"
#include "runtime/cli/cli_runner.hpp"
#include "support/alloc_counter.hpp"
#include "support/temp_dir.hpp"

namespace edgert::runtime {
namespace {

namespace fs = std::filesystem;

const fs::path kDemo = fs::path(EDGERT_SOURCE_DIR) / "systemd/demo-ocr.toml";
const fs::path kImages = EDGERT_OCR_IMAGES;
const fs::path kModels = fs::path(EDGERT_SOURCE_DIR) / "build/main";

struct Line {
  std::string text;
  std::vector<float> corners;  // x0 y0 x1 y1 x2 y2 x3 y3
};

// The text lines of one JSON line of `edgert run` (the OCR output: "text", then "box" with
// four [x, y] corners). A hand parser: GCC 12 warns inside <regex> under the sanitizers.
std::vector<Line> linesOf(const std::string& json) {
  std::vector<Line> lines;
  static constexpr std::string_view kText = "\"text\":\"";
  static constexpr std::string_view kBox = "\",\"box\":[[";
  for (std::size_t at = json.find(kText); at != std::string::npos; at = json.find(kText, at)) {
    Line line;
    std::size_t i = at + kText.size();
    for (; i < json.size() && json[i] != '"'; ++i) {
      if (json[i] == '\\' && i + 1 < json.size()) ++i;  // an escaped character
      line.text += json[i];
    }
    if (json.compare(i, kBox.size(), kBox) != 0) break;
    const char* p = json.c_str() + i + kBox.size();
    for (int k = 0; k < 8; ++k) {
      char* end = nullptr;
      line.corners.push_back(std::strtof(p, &end));
      p = end;
      while (*p == ',' || *p == ']' || *p == '[') ++p;
    }
    lines.push_back(line);
    at = i;
  }
  return lines;
}

std::vector<std::string> expectedLines(const std::string& name) {
  std::ifstream in(kImages / (name + ".txt"));
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

cli::test::Outcome runDemo(const fs::path& image) {
  return cli::test::runCli({"run", "--config", kDemo.string(), "--source", image.string(), "--frames", "1"});
}

class OcrDemo : public ::testing::TestWithParam<std::string> {};

TEST_P(OcrDemo, ReadsEveryLineExactly) {
  const std::string name = GetParam();
  ASSERT_TRUE(fs::exists(kImages / (name + ".png"))) << "rendered by ocr.render_images";
  ASSERT_TRUE(fs::exists(kModels / "ppocr_v4_det.edgm")) << "compiled by ocr.compile_models";
  const cli::test::Outcome run = runDemo(kImages / (name + ".png"));
  ASSERT_EQ(run.code, 0) << run.err;
  std::vector<std::string> read;
  for (const Line& l : linesOf(run.out)) read.push_back(l.text);
  std::vector<std::string> expected = expectedLines(name);
  ASSERT_FALSE(expected.empty());
  // Exactly the lines of the image, each once, in any order.
  std::sort(read.begin(), read.end());
  std::sort(expected.begin(), expected.end());
  EXPECT_EQ(read, expected) << run.out;
  EXPECT_NE(run.err.find(fmt::format("{} lines read", expected.size())), std::string::npos) << run.err;
}

INSTANTIATE_TEST_SUITE_P(RenderedText, OcrDemo, ::testing::Values("straight", "rotated", "upside_down"));

TEST(OcrDemoBoxes, CornersAreInSourcePixelsAndInReadingOrder) {
  const cli::test::Outcome run = runDemo(kImages / "upside_down.png");
  ASSERT_EQ(run.code, 0) << run.err;
  bool sawUpsideDown = false;
  for (const Line& l : linesOf(run.out)) {
    const std::vector<float>& c = l.corners;
    for (std::size_t i = 0; i < 8; i += 2) {
      EXPECT_GE(c[i], 0.0F);
      EXPECT_LE(c[i], 960.0F);
      EXPECT_GE(c[i + 1], 0.0F);
      EXPECT_LE(c[i + 1], 540.0F);
    }
    if (l.text == "Check valve 12") {
      // Rendered at (700, 300) turned 180 degrees: it reads from right to left on the
      // screen, so its first corner (where the text starts) is at the right, below.
      sawUpsideDown = true;
      EXPECT_GT(c[0], c[2]) << "top-left of the text right of its top-right";
      EXPECT_GT(c[1], c[7]) << "the text's top is below its bottom on the screen";
      EXPECT_NEAR(c[0], 700.0F, 15.0F);
    } else {
      EXPECT_LT(c[0], c[2]) << l.text;
    }
  }
  EXPECT_TRUE(sawUpsideDown) << run.out;
}

TEST(OcrDemoPhoto, APhotoWithoutTextGivesNoLines) {
  ASSERT_TRUE(fs::exists(EDGERT_COFFEE_PHOTO)) << "fetched by toolchain/fetch-testdata.sh";
  const cli::test::Outcome run = runDemo(EDGERT_COFFEE_PHOTO);
  ASSERT_EQ(run.code, 0) << run.err;
  EXPECT_NE(run.out.find("\"detections\":[]"), std::string::npos) << run.out;
  EXPECT_NE(run.err.find(", 0 lines read"), std::string::npos) << run.err;
}

TEST(OcrConfig, MissingRecognizerDictionaryMismatchAndBadKeysAreNamed) {
  const auto parse = [](const std::string& postprocess) {
    return parseServiceConfig("[service]\nmodel = \"det.edgm\"\n[postprocess]\n" + postprocess, "ocr.toml", "/cfg");
  };
  Result<ServiceConfig> missing = parse("kind = \"ocr\"\ndictionary = \"keys.txt\"\n");
  ASSERT_FALSE(missing);
  EXPECT_NE(missing.error().message().find("recognizer"), std::string::npos) << missing.error().message();
  Result<ServiceConfig> wrongKind = parse("kind = \"blazeface\"\nrecognizer = \"rec.edgm\"\n");
  ASSERT_FALSE(wrongKind);
  EXPECT_NE(wrongKind.error().message().find("only with kind = \"ocr\""), std::string::npos)
      << wrongKind.error().message();
  Result<ServiceConfig> badSum = parse(
      "kind = \"ocr\"\nrecognizer = \"rec.edgm\"\ndictionary = \"keys.txt\"\ndictionary_sha256 = \"abc\"\n");
  ASSERT_FALSE(badSum);
  EXPECT_NE(badSum.error().message().find("dictionary_sha256"), std::string::npos) << badSum.error().message();
  Result<ServiceConfig> ok = parse("kind = \"ocr\"\nrecognizer = \"rec.edgm\"\ndictionary = \"keys.txt\"\n");
  ASSERT_TRUE(ok) << ok.error().message();
  EXPECT_EQ(ok->postprocess.text.recognizerPath, "/cfg/rec.edgm");
  EXPECT_EQ(ok->postprocess.scoreThreshold, 0.5F);
  EXPECT_EQ(ok->postprocess.text.unclipRatio, 2.0F);

  // A dictionary that is not the pinned one stops the start, naming the file.
  const std::string config = fmt::format(
      "[service]\nmodel = \"{0}/ppocr_v4_det_96x320.edgm\"\nframes = 1\n"
      "[camera]\nsource = \"{1}/loop.png\"\n"
      "[postprocess]\nkind = \"ocr\"\nrecognizer = \"{0}/ppocr_v4_rec.edgm\"\n"
      "dictionary = \"{2}\"\n"
      "dictionary_sha256 = \"0000000000000000000000000000000000000000000000000000000000000000\"\n",
      kModels.string(), kImages.string(), EDGERT_OCR_DICTIONARY);
  Result<ServiceConfig> pinned = parseServiceConfig(config, "ocr.toml", "/");
  ASSERT_TRUE(pinned) << pinned.error().message();
  std::FILE* console = std::tmpfile();
  Result<std::unique_ptr<Service>> service = Service::create(std::move(*pinned), {.console = console});
  std::fclose(console);
  ASSERT_FALSE(service);
  EXPECT_NE(service.error().message().find("postprocess.dictionary"), std::string::npos) << service.error().message();
  EXPECT_NE(service.error().message().find("pinned"), std::string::npos) << service.error().message();
}

std::string loopConfig(const fs::path& dir, int frames, bool pipeline, const std::string& extra = {}) {
  return fmt::format(
      "[service]\nmodel = \"{0}/ppocr_v4_det_96x320.edgm\"\nframes = {3}\npipeline = {4}\n"
      "[camera]\nsource = \"{1}/loop.png\"\nrealtime = false\n"
      "[preprocess]\nchannels = \"bgr\"\nmean = [123.675, 116.28, 103.53]\n"
      "scale = [0.017124754, 0.017507003, 0.017429194]\n"
      "[postprocess]\nkind = \"ocr\"\nrecognizer = \"{0}/ppocr_v4_rec.edgm\"\n"
      "orientation = \"{0}/ppocr_mobile_v2_cls.edgm\"\ndictionary = \"{2}\"\nmax_detections = 4\n"
      "[output]\ndetections = \"file:{5}/lines.jsonl\"\nstatus_interval_s = 0.2\n"
      "prometheus = \"{5}/edgert.prom\"\n{6}",
      kModels.string(), kImages.string(), EDGERT_OCR_DICTIONARY, frames, pipeline ? "true" : "false",
      dir.string(), extra);
}

using edgert::test::TempDir;

class OcrLoop : public ::testing::TestWithParam<bool> {};

// 1,000 frames natively (fewer under emulation and ThreadSanitizer: EDGERT_LOOP_FRAMES).
TEST_P(OcrLoop, FramesReadTheirLineAndAllocateNothing) {
  const int frames = EDGERT_LOOP_FRAMES;
  TempDir dir("edgert-ocr");
  Result<ServiceConfig> config = parseServiceConfig(loopConfig(dir.path(), frames, GetParam()), "loop.toml", "/");
  ASSERT_TRUE(config) << config.error().message();
  std::FILE* console = std::tmpfile();
  Result<std::unique_ptr<Service>> service = Service::create(std::move(*config), {.console = console});
  ASSERT_TRUE(service) << service.error().message();
  // The JSON line is sized for every region's longest text (over the 64 KiB of a line
  // without text; the status line and Prometheus buffers are the rest of the item).
  std::size_t lineBytes = 0;
  for (const MemoryItem& item : (*service)->memory().items) {
    if (item.name == "output line buffers") lineBytes = item.bytes;
  }
  EXPECT_GT(lineBytes, std::size_t{64 * 1024 + 512 + 16 * 1024});
  ASSERT_TRUE(test::allocationCounterWorks());
  test::startCountingAllocations();
  EXPECT_EQ((*service)->run(), ServiceEnd::kStopped);
  const long allocations = test::stopCountingAllocations();
  std::fclose(console);
  EXPECT_EQ(allocations, 0) << "the OCR pipeline allocated on the heap";
  std::ifstream in(dir.path() / "lines.jsonl");
  int lines = 0;
  for (std::string line; std::getline(in, line); ++lines) {
    const std::vector<Line> read = linesOf(line);
    ASSERT_EQ(read.size(), 1U) << line;
    EXPECT_EQ(read[0].text, "Pump 3 OFF") << line;
  }
  EXPECT_EQ(lines, frames);
  std::ifstream prom(dir.path() / "edgert.prom");
  const std::string metrics((std::istreambuf_iterator<char>(prom)), std::istreambuf_iterator<char>());
  EXPECT_NE(metrics.find(fmt::format("\nedgert_text_lines_total {}\n", frames)), std::string::npos) << metrics;
}

INSTANTIATE_TEST_SUITE_P(Modes, OcrLoop, ::testing::Values(false, true),
                         [](const ::testing::TestParamInfo<bool>& param) {
                           return param.param ? "Pipelined" : "Sequential";
                         });

TEST(OcrSnapshot, ARequestedSnapshotIsThePngOfAFrameWithItsLines) {
  TempDir dir("edgert-ocr");
  Result<ServiceConfig> config = parseServiceConfig(
      loopConfig(dir.path(), 3, false, fmt::format("snapshot_dir = \"{}\"\n", dir.path().string())), "loop.toml", "/");
  ASSERT_TRUE(config) << config.error().message();
  std::FILE* console = std::tmpfile();
  Result<std::unique_ptr<Service>> service = Service::create(std::move(*config), {.console = console});
  ASSERT_TRUE(service) << service.error().message();
  Service::requestSnapshot();  // as SIGUSR1 does
  EXPECT_EQ((*service)->run(), ServiceEnd::kStopped);
  std::fclose(console);
  const fs::path png = dir.path() / "snapshot.png";
  ASSERT_TRUE(fs::exists(png));
  std::ifstream in(png, std::ios::binary);
  char magic[8] = {};
  in.read(magic, 8);
  EXPECT_EQ(std::string(magic + 1, 3), "PNG");
  std::ifstream prom(dir.path() / "edgert.prom");
  const std::string metrics((std::istreambuf_iterator<char>(prom)), std::istreambuf_iterator<char>());
  EXPECT_NE(metrics.find("\nedgert_snapshots_total 1\n"), std::string::npos) << metrics;
}

}  // namespace
}  // namespace edgert::runtime
