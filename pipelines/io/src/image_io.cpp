// Image files <-> tensors via OpenCV (decode, non-PNG encode) and libpng (PNG encode with text chunks).
#include "atelier/io/image_io.h"

#include <ATen/ATen.h>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <filesystem>
#include <unistd.h>

#include "png_io.h"
#include "tensor_mat.h"

namespace atelier::io {

namespace {
std::string lowerExt(const std::string& path) {
  std::string e = std::filesystem::path(path).extension().string();
  std::transform(e.begin(), e.end(), e.begin(), [](unsigned char c) { return std::tolower(c); });
  return e;
}

Result<cv::Mat> decode(const std::string& path) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec)) { return Status::NotFound(path + ": no such image file"); }
  cv::Mat m;
  try {
    m = cv::imread(path, cv::IMREAD_UNCHANGED);
  } catch (const cv::Exception& e) {
    return Status::Corruption(path + ": cannot decode image (" + e.msg + ")");
  }
  if (m.empty()) { return Status::Corruption(path + ": cannot decode image (unsupported format, truncated or corrupt)"); }
  if (m.channels() != 1 && m.channels() != 3 && m.channels() != 4) {
    return Status::Unsupported(path + ": " + std::to_string(m.channels()) + "-channel images are not supported");
  }
  return m;
}
}  // namespace

Result<at::Tensor> loadImage(const std::string& path, const LoadOptions& opt, ImageInfo* info) {
  ATELIER_ASSIGN_OR_RETURN(cv::Mat m, decode(path));
  if (opt.max_pixels > 0 && static_cast<int64_t>(m.rows) * m.cols > opt.max_pixels) {
    return Status::InvalidArgument(path + ": " + std::to_string(m.cols) + "x" + std::to_string(m.rows) +
                                   " exceeds the pixel limit of " + std::to_string(opt.max_pixels));
  }
  if (info) { *info = {m.cols, m.rows, m.channels(), m.depth() == CV_16U ? 16 : 8}; }
  at::Tensor t = matToTensor(m);
  if (t.size(1) == 4 && !opt.keep_alpha) { t = t.slice(1, 0, 3).contiguous(); }
  if (t.size(1) == 1 && opt.force_rgb) { t = t.expand({1, 3, t.size(2), t.size(3)}).contiguous(); }
  return t;
}

Result<ImageInfo> probeImage(const std::string& path) {
  ATELIER_ASSIGN_OR_RETURN(cv::Mat m, decode(path));
  return ImageInfo{m.cols, m.rows, m.channels(), m.depth() == CV_16U ? 16 : 8};
}

Status saveImage(const std::string& path, const at::Tensor& image, const SaveOptions& opt) {
  at::Tensor t = image;
  if (t.dim() == 4) {
    if (t.size(0) != 1) { return Status::InvalidArgument(path + ": saveImage takes one image, got a batch"); }
    t = t[0];
  }
  if (t.dim() != 3 || (t.size(0) != 1 && t.size(0) != 3 && t.size(0) != 4)) {
    return Status::InvalidArgument(path + ": expected an image tensor [1,C,H,W] with C in {1,3,4}");
  }
  if (opt.bit_depth != 8 && opt.bit_depth != 16) { return Status::InvalidArgument(path + ": bit depth must be 8 or 16"); }
  const std::string ext = lowerExt(path);
  std::filesystem::path p(path);
  const std::string tmp =
      (p.parent_path() / (p.stem().string() + ".tmp" + std::to_string(::getpid()) + p.extension().string())).string();
  Status s;
  if (ext == ".png") {
    s = writePng(tmp, tensorToMat(t, opt.bit_depth, /*bgr=*/false), opt.text);
  } else {
    cv::Mat m = tensorToMat(t, ext == ".tif" || ext == ".tiff" ? opt.bit_depth : 8, /*bgr=*/true);
    std::vector<int> params;
    if (ext == ".jpg" || ext == ".jpeg") { params = {cv::IMWRITE_JPEG_QUALITY, opt.jpeg_quality}; }
    bool ok = false;
    try {
      ok = cv::imwrite(tmp, m, params);
    } catch (const cv::Exception& e) {
      ok = false;
    }
    if (!ok) { s = Status::InvalidArgument(path + ": cannot write (unknown extension or unwritable folder)"); }
  }
  if (!s.ok()) {
    std::remove(tmp.c_str());
    return s;
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    std::remove(tmp.c_str());
    return Status::Internal(path + ": cannot move the written file into place");
  }
  return Status::Ok();
}

Result<std::map<std::string, std::string>> readPngText(const std::string& path) { return readPngTextChunks(path); }

}  // namespace atelier::io
