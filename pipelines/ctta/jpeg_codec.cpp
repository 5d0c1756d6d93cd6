// JPEG decode/encode with libjpeg(-turbo), errors returned as Status (longjmp error manager).
#include <csetjmp>
#include <cstdio>
#include <cstring>

#include <jpeglib.h>

#include "ctta/image_codec.h"

namespace atelier::ctta {
namespace {
struct ErrMgr {
  jpeg_error_mgr pub;
  jmp_buf jump;
  char msg[JMSG_LENGTH_MAX];
};
void onError(j_common_ptr cinfo) {
  auto* e = reinterpret_cast<ErrMgr*>(cinfo->err);
  (*cinfo->err->format_message)(cinfo, e->msg);
  longjmp(e->jump, 1);
}
}  // namespace

Result<Image8> decodeJpeg(const uint8_t* bytes, size_t n, const std::string& label) {
  jpeg_decompress_struct cinfo;
  ErrMgr err;
  cinfo.err = jpeg_std_error(&err.pub);
  err.pub.error_exit = onError;
  Image8 img;
  if (setjmp(err.jump)) {
    jpeg_destroy_decompress(&cinfo);
    return Status::Corruption(label + ": JPEG decode failed: " + err.msg);
  }
  jpeg_create_decompress(&cinfo);
  jpeg_mem_src(&cinfo, const_cast<unsigned char*>(bytes), static_cast<unsigned long>(n));
  jpeg_read_header(&cinfo, TRUE);
  cinfo.out_color_space = JCS_RGB;
  jpeg_start_decompress(&cinfo);
  img.w = static_cast<int>(cinfo.output_width);
  img.h = static_cast<int>(cinfo.output_height);
  img.c = 3;
  img.data.resize(size_t(img.w) * img.h * 3);
  while (cinfo.output_scanline < cinfo.output_height) {
    JSAMPROW row = img.data.data() + size_t(cinfo.output_scanline) * img.w * 3;
    jpeg_read_scanlines(&cinfo, &row, 1);
  }
  jpeg_finish_decompress(&cinfo);
  jpeg_destroy_decompress(&cinfo);
  return img;
}

Result<std::vector<uint8_t>> encodeJpeg(const Image8& img, int quality) {
  if (img.c != 3 || img.w <= 0 || img.h <= 0) return Status::InvalidArgument("encodeJpeg: need a non-empty RGB image");
  jpeg_compress_struct cinfo;
  ErrMgr err;
  cinfo.err = jpeg_std_error(&err.pub);
  err.pub.error_exit = onError;
  unsigned char* out = nullptr;
  unsigned long out_n = 0;
  if (setjmp(err.jump)) {
    jpeg_destroy_compress(&cinfo);
    if (out) free(out);
    return Status::Internal(std::string("JPEG encode failed: ") + err.msg);
  }
  jpeg_create_compress(&cinfo);
  jpeg_mem_dest(&cinfo, &out, &out_n);
  cinfo.image_width = img.w;
  cinfo.image_height = img.h;
  cinfo.input_components = 3;
  cinfo.in_color_space = JCS_RGB;
  jpeg_set_defaults(&cinfo);
  jpeg_set_quality(&cinfo, quality, TRUE);
  jpeg_start_compress(&cinfo, TRUE);
  while (cinfo.next_scanline < cinfo.image_height) {
    JSAMPROW row = const_cast<uint8_t*>(img.data.data()) + size_t(cinfo.next_scanline) * img.w * 3;
    jpeg_write_scanlines(&cinfo, &row, 1);
  }
  jpeg_finish_compress(&cinfo);
  std::vector<uint8_t> v(out, out + out_n);
  jpeg_destroy_compress(&cinfo);
  free(out);
  return v;
}

}  // namespace atelier::ctta
