// End to end on a real photo: astronaut.png (scikit-image's test image of Eileen Collins,
// 512x512, fetched by toolchain/fetch-testdata.sh) through the still-image frame source,
// the Preprocessor, BlazeFace front (compiled by edgert-compile in the
// postprocess.compile_blazeface_front fixture), the Engine and the decoder, then back to
// source pixels with the Preprocessor's ImageMapping. On other targets (aarch64 under
// qemu) the image the host compiled is replayed: run the host tests first.
#include "edgert/hal/camera.hpp"
#include "edgert/kernels/image.hpp"
#include "edgert/runtime/engine.hpp"
#include "edgert/runtime/model.hpp"
#include "edgert/runtime/postprocess.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <memory>

namespace edgert::runtime {
namespace {

using namespace std::chrono_literals;

const std::string kPhoto = EDGERT_FACE_PHOTO;
const std::string kModel = EDGERT_FACE_MODEL;

// The face in astronaut.png, in source pixels, chosen by eye from a 4x magnified crop with
// a 10 px grid: cheeks at x = 181 and 270, hairline at y = 77, chin at y = 176. BlazeFace
// boxes run from about the hairline to the chin, so the reference is (180, 78)-(270, 178);
// the test asks for IoU > 0.5 with it, not for an exact box.
constexpr float kFaceX0 = 180, kFaceY0 = 78, kFaceX1 = 270, kFaceY1 = 178;
// The pupils, read off the same crop: the subject's right eye (image left) and left eye.
constexpr std::array<float, 2> kRightEye{204, 101};
constexpr std::array<float, 2> kLeftEye{246, 104};

class FaceEndToEnd : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!std::filesystem::exists(kPhoto)) {
      GTEST_FAIL() << kPhoto << " is missing: toolchain/fetch-testdata.sh fetches it (the testdata.fetch test runs it)";
    }
    if (!std::filesystem::exists(kModel)) {
      GTEST_FAIL() << kModel << " is missing: the host tests compile it (postprocess.compile_blazeface_front); run them first";
    }
    auto model = Model::open(kModel);
    ASSERT_TRUE(model.ok()) << model.error().message();
    model_ = std::make_unique<Model>(std::move(model).value());
    auto engine = Engine::create(*model_);
    ASSERT_TRUE(engine.ok()) << engine.error().message();
    engine_ = std::move(engine).value();
  }

  // One frame of the photo into the model input; returns the mapping back to the photo.
  kernels::ImageMapping loadPhoto() {
    hal::CameraConfig config;
    config.source = kPhoto;
    config.realtime = false;
    auto source = hal::makeImageFileSource(config);
    EXPECT_TRUE(source.ok()) << source.error().message();
    if (!source.ok()) return {};
    auto started = (*source)->start();
    EXPECT_TRUE(started.ok()) << started.error().message();
    hal::Frame frame;
    EXPECT_EQ((*source)->waitFrame(1000ms, frame), hal::WaitStatus::kFrame);
    EXPECT_EQ(frame.image.width, 512);
    EXPECT_EQ(frame.image.height, 512);

    const Engine::Binding& input = engine_->inputs()[0];
    EXPECT_EQ(input.type.shape, kernels::Shape::of({1, 128, 128, 3}));
    // BlazeFace takes RGB in [-1, 1], interleaved (a TensorFlow model). The fit is the
    // default stretch: the photo is square like the input, so nothing is distorted.
    kernels::PreprocessSpec spec;
    spec.width = 128;
    spec.height = 128;
    spec.order = kernels::ChannelOrder::kRgb;
    spec.layout = kernels::TensorLayout::kNhwc;
    spec.mean = {127.5F, 127.5F, 127.5F};
    spec.scale = {1.0F / 127.5F, 1.0F / 127.5F, 1.0F / 127.5F};
    auto pre = kernels::Preprocessor::create(frame.image.format, frame.image.width,
                                             frame.image.height, spec);
    EXPECT_TRUE(pre.ok()) << pre.error().message();
    if (!pre.ok()) return {};
    EXPECT_EQ(pre->outputFloats() * sizeof(float), input.type.bytes());
    pre->run(frame.image, {reinterpret_cast<float*>(input.data), pre->outputFloats()});
    (*source)->release(frame);
    (*source)->stop();
    return pre->mapping();
  }

  std::unique_ptr<Model> model_;
  std::unique_ptr<Engine> engine_;
};

TEST_F(FaceEndToEnd, FindsEileenCollinsFace) {
  const kernels::ImageMapping mapping = loadPhoto();
  ASSERT_FALSE(HasFailure());
  engine_->invoke();

  auto decoder = BlazeFaceDecoder::create(BlazeFaceParams::front());
  ASSERT_TRUE(decoder.ok()) << decoder.error().message();
  auto heads = decoder->findHeads(*engine_);
  ASSERT_TRUE(heads.ok()) << heads.error().message();
  ASSERT_TRUE(decoder->checkHeads(*heads).ok());
  std::array<Detection, 16> found;
  const std::size_t n = decoder->decode(*heads, found);
  for (std::size_t i = 0; i < n; ++i) {
    const Detection s = toSourcePixels(found[i], mapping);
    std::printf("face %zu: score %.4f box (%.1f, %.1f)-(%.1f, %.1f) eyes (%.1f, %.1f) (%.1f, %.1f)"
                " nose (%.1f, %.1f) mouth (%.1f, %.1f)\n",
                i, static_cast<double>(s.score), static_cast<double>(s.x0), static_cast<double>(s.y0),
                static_cast<double>(s.x1), static_cast<double>(s.y1),
                static_cast<double>(s.keypoints[0][0]), static_cast<double>(s.keypoints[0][1]),
                static_cast<double>(s.keypoints[1][0]), static_cast<double>(s.keypoints[1][1]),
                static_cast<double>(s.keypoints[2][0]), static_cast<double>(s.keypoints[2][1]),
                static_cast<double>(s.keypoints[3][0]), static_cast<double>(s.keypoints[3][1]));
  }
  ASSERT_EQ(n, 1U) << "one face in the photo";
  const Detection face = toSourcePixels(found[0], mapping);
  EXPECT_GE(face.score, 0.75F);

  Detection reference;
  reference.x0 = kFaceX0, reference.y0 = kFaceY0, reference.x1 = kFaceX1, reference.y1 = kFaceY1;
  EXPECT_GT(boxIou(face, reference), 0.5F);

  // MediaPipe's keypoint order: right eye, left eye, nose tip, mouth, right and left ear
  // tragion. The eyes must lie inside the box and near the pupils (within 12 px, a fifth of
  // the distance between the eyes).
  ASSERT_EQ(face.numKeypoints, 6);
  for (int k = 0; k < 2; ++k) {
    const auto& p = face.keypoints[static_cast<std::size_t>(k)];
    EXPECT_TRUE(p[0] > face.x0 && p[0] < face.x1 && p[1] > face.y0 && p[1] < face.y1)
        << "eye " << k << " at (" << p[0] << ", " << p[1] << ")";
    const auto& want = k == 0 ? kRightEye : kLeftEye;
    EXPECT_NEAR(p[0], want[0], 12.0F) << "eye " << k;
    EXPECT_NEAR(p[1], want[1], 12.0F) << "eye " << k;
  }
}

TEST_F(FaceEndToEnd, AnImageWithoutAFaceGivesNone) {
  // The model input left at mid-grey (0 after normalisation): nothing reaches 0.75.
  const Engine::Binding& input = engine_->inputs()[0];
  std::fill_n(reinterpret_cast<float*>(input.data), input.type.shape.numel(), 0.0F);
  engine_->invoke();
  auto decoder = BlazeFaceDecoder::create(BlazeFaceParams::front());
  ASSERT_TRUE(decoder.ok()) << decoder.error().message();
  auto heads = decoder->findHeads(*engine_);
  ASSERT_TRUE(heads.ok()) << heads.error().message();
  std::array<Detection, 16> found;
  EXPECT_EQ(decoder->decode(*heads, found), 0U);
}

TEST_F(FaceEndToEnd, ALayoutTheModelDoesNotHaveIsExplained) {
  BlazeFaceParams p = BlazeFaceParams::front();
  p.inputSize = 64;  // 8x8x2 = 128 anchors in the first head: no such output
  auto decoder = BlazeFaceDecoder::create(p);
  ASSERT_TRUE(decoder.ok()) << decoder.error().message();
  auto heads = decoder->findHeads(*engine_);
  ASSERT_FALSE(heads.ok());
  EXPECT_EQ(heads.error().message(),
            "BlazeFace head 0 (stride 8): no float32 output of 128x1 scores among: "
            "Identity:0 float32 1x512x1, Identity_1:0 float32 1x384x1, "
            "Identity_2:0 float32 1x512x16, Identity_3:0 float32 1x384x16");
}

}  // namespace
}  // namespace edgert::runtime
