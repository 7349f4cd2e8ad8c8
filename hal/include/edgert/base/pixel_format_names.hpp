// The names of pixel formats in board files, configs, messages and JSON: one table for the
// schema readers (board.cpp, service_config.cpp) and pixelFormatName()/parsePixelFormat().
#pragma once

#include <array>

#include "edgert/base/image.hpp"
#include "edgert/base/toml_schema.hpp"

namespace edgert {

inline constexpr std::array kPixelFormatNames{
    EnumName<PixelFormat>{"YUYV", PixelFormat::kYuyv},
    EnumName<PixelFormat>{"NV12", PixelFormat::kNv12},
    EnumName<PixelFormat>{"GREY", PixelFormat::kGrey},
    EnumName<PixelFormat>{"RGB24", PixelFormat::kRgb24},
    EnumName<PixelFormat>{"MJPEG", PixelFormat::kMjpeg},
};

}  // namespace edgert
