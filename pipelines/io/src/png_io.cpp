// PNG writing with text chunks, and text-chunk reading, via libpng.
#include "png_io.h"

#include <png.h>

#include <cstdio>
#include <memory>
#include <vector>

namespace atelier::io {

namespace {
struct FileCloser { void operator()(FILE* f) const { if (f) std::fclose(f); } };

bool isLatin1Safe(const std::string& s) {
  for (unsigned char c : s) { if (c >= 0x80) return false; }
  return true;
}
}  // namespace

Status writePng(const std::string& path, const cv::Mat& img, const std::map<std::string, std::string>& text) {
  std::unique_ptr<FILE, FileCloser> fp(std::fopen(path.c_str(), "wb"));
  if (!fp) { return Status::NotFound(path + ": cannot open for writing"); }
  png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, nullptr, nullptr, nullptr);
  png_infop info = png ? png_create_info_struct(png) : nullptr;
  if (!png || !info) {
    png_destroy_write_struct(&png, &info);
    return Status::Internal(path + ": libpng initialisation failed");
  }
  // Everything the setjmp may jump over lives before it.
  std::vector<png_text> chunks;
  std::vector<std::string> keys, values;
  for (const auto& [k, v] : text) { keys.push_back(k.substr(0, 79)); values.push_back(v); }
  std::vector<png_bytep> rows(static_cast<size_t>(img.rows));
  if (setjmp(png_jmpbuf(png))) {
    png_destroy_write_struct(&png, &info);
    return Status::Internal(path + ": PNG encoding failed (disk full?)");
  }
  png_init_io(png, fp.get());
  const int ch = img.channels();
  const int color = ch == 1 ? PNG_COLOR_TYPE_GRAY : ch == 4 ? PNG_COLOR_TYPE_RGBA : PNG_COLOR_TYPE_RGB;
  const int depth = img.depth() == CV_16U ? 16 : 8;
  png_set_IHDR(png, info, static_cast<png_uint_32>(img.cols), static_cast<png_uint_32>(img.rows), depth, color,
               PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
  for (size_t i = 0; i < keys.size(); ++i) {
    png_text t{};
    t.compression = isLatin1Safe(values[i]) ? PNG_TEXT_COMPRESSION_NONE : PNG_ITXT_COMPRESSION_NONE;
    t.key = const_cast<char*>(keys[i].c_str());
    t.text = const_cast<char*>(values[i].c_str());
    t.text_length = values[i].size();
    chunks.push_back(t);
  }
  if (!chunks.empty()) { png_set_text(png, info, chunks.data(), static_cast<int>(chunks.size())); }
  png_write_info(png, info);
  if (depth == 16) { png_set_swap(png); }   // PNG is big-endian; Mat is host (little) endian
  for (int y = 0; y < img.rows; ++y) { rows[static_cast<size_t>(y)] = const_cast<png_bytep>(img.ptr<png_byte>(y)); }
  png_write_image(png, rows.data());
  png_write_end(png, nullptr);
  png_destroy_write_struct(&png, &info);
  if (std::fflush(fp.get()) != 0) { return Status::Internal(path + ": write failed (disk full?)"); }
  return Status::Ok();
}

Result<std::map<std::string, std::string>> readPngTextChunks(const std::string& path) {
  std::unique_ptr<FILE, FileCloser> fp(std::fopen(path.c_str(), "rb"));
  if (!fp) { return Status::NotFound(path + ": cannot open"); }
  unsigned char sig[8] = {};
  if (std::fread(sig, 1, 8, fp.get()) != 8 || png_sig_cmp(sig, 0, 8) != 0) {
    return Status::InvalidArgument(path + ": not a PNG file");
  }
  png_structp png = png_create_read_struct(PNG_LIBPNG_VER_STRING, nullptr, nullptr, nullptr);
  png_infop info = png ? png_create_info_struct(png) : nullptr;
  if (!png || !info) {
    png_destroy_read_struct(&png, &info, nullptr);
    return Status::Internal(path + ": libpng initialisation failed");
  }
  std::map<std::string, std::string> out;
  if (setjmp(png_jmpbuf(png))) {
    png_destroy_read_struct(&png, &info, nullptr);
    return Status::Corruption(path + ": corrupt PNG");
  }
  png_init_io(png, fp.get());
  png_set_sig_bytes(png, 8);
  png_read_info(png, info);
  png_textp texts = nullptr;
  int n = 0;
  png_get_text(png, info, &texts, &n);
  for (int i = 0; i < n; ++i) { out[texts[i].key] = std::string(texts[i].text, texts[i].text_length ? texts[i].text_length : texts[i].itxt_length); }
  png_destroy_read_struct(&png, &info, nullptr);
  return out;
}

}  // namespace atelier::io
