// Writing JSON text: edgert writes small JSON objects by hand (a sample, a summary, a frame's
// detections); this escapes the strings in them.
#pragma once

#include <string>
#include <string_view>

namespace edgert {

// Appends `text` as a JSON string literal, quotes included.
void appendJsonString(std::string& out, std::string_view text);

// `text` as a JSON string literal.
std::string jsonString(std::string_view text);

}  // namespace edgert
