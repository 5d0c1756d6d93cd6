// libpng writer/reader for what OpenCV cannot do: text chunks (A1111 "parameters").
#pragma once

#include <map>
#include <string>

#include <opencv2/core.hpp>

#include "atelier/status.h"

namespace atelier::io {
// Writes an 8/16-bit 1/3/4-channel RGB(A)-ordered Mat as PNG with tEXt chunks (iTXt for non-Latin-1 text).
Status writePng(const std::string& path, const cv::Mat& rgb, const std::map<std::string, std::string>& text);
Result<std::map<std::string, std::string>> readPngTextChunks(const std::string& path);
}  // namespace atelier::io
