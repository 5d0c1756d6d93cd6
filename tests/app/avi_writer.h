// Writes a tiny uncompressed (BI_RGB, 24-bit) AVI so video tests need no codec, no asset and no download:
// frame i is filled with colours[i % n]. Test-only; FFmpeg (OpenCV's backend here) reads it.
#pragma once

#include <QByteArray>
#include <QColor>
#include <QFile>
#include <QString>

#include <cstdint>
#include <vector>

namespace atelier::test {

namespace avi_detail {
inline void u32(QByteArray& b, uint32_t v) { for (int i = 0; i < 4; ++i) b.append(char((v >> (8 * i)) & 0xff)); }
inline void u16(QByteArray& b, uint16_t v) { for (int i = 0; i < 2; ++i) b.append(char((v >> (8 * i)) & 0xff)); }
inline void fcc(QByteArray& b, const char* f) { b.append(f, 4); }
inline QByteArray chunk(const char* id, const QByteArray& data) {
  QByteArray b;
  fcc(b, id);
  u32(b, uint32_t(data.size()));
  b.append(data);
  if (data.size() % 2) b.append('\0');
  return b;
}
inline QByteArray list(const char* type, const QByteArray& data) {
  QByteArray body;
  fcc(body, type);
  body.append(data);
  return chunk("LIST", body);
}
}  // namespace avi_detail

inline bool writeTestAvi(const QString& path, int w, int h, int frames, int fps, const std::vector<QColor>& colours) {
  using namespace avi_detail;
  const int row = (w * 3 + 3) / 4 * 4;
  const uint32_t frame_bytes = uint32_t(row * h);
  QByteArray avih;
  for (uint32_t v : {uint32_t(1000000 / fps), frame_bytes * fps, 0u, 0x10u /*HASINDEX*/, uint32_t(frames), 0u, 1u,
                     frame_bytes, uint32_t(w), uint32_t(h), 0u, 0u, 0u, 0u}) { u32(avih, v); }
  QByteArray strh;
  fcc(strh, "vids");
  fcc(strh, "DIB ");
  u32(strh, 0); u16(strh, 0); u16(strh, 0); u32(strh, 0);
  u32(strh, 1); u32(strh, uint32_t(fps)); u32(strh, 0); u32(strh, uint32_t(frames));
  u32(strh, frame_bytes); u32(strh, 0xffffffffu); u32(strh, 0);
  u16(strh, 0); u16(strh, 0); u16(strh, uint16_t(w)); u16(strh, uint16_t(h));
  QByteArray strf;
  u32(strf, 40); u32(strf, uint32_t(w)); u32(strf, uint32_t(h)); u16(strf, 1); u16(strf, 24);
  u32(strf, 0); u32(strf, frame_bytes); u32(strf, 0); u32(strf, 0); u32(strf, 0); u32(strf, 0);
  const QByteArray hdrl = list("hdrl", chunk("avih", avih) + list("strl", chunk("strh", strh) + chunk("strf", strf)));
  QByteArray movi, idx;
  for (int i = 0; i < frames; ++i) {
    const QColor c = colours[size_t(i) % colours.size()];
    QByteArray px(int(frame_bytes), '\0');
    for (int y = 0; y < h; ++y) {
      for (int x = 0; x < w; ++x) {   // BGR, rows bottom-up (all rows equal here)
        px[y * row + 3 * x] = char(c.blue());
        px[y * row + 3 * x + 1] = char(c.green());
        px[y * row + 3 * x + 2] = char(c.red());
      }
    }
    fcc(idx, "00db");
    u32(idx, 0x10);                                // AVIIF_KEYFRAME
    u32(idx, uint32_t(4 + movi.size()));           // offset from the 'movi' fourcc
    u32(idx, frame_bytes);
    movi.append(chunk("00db", px));
  }
  QByteArray riff_body;
  fcc(riff_body, "AVI ");
  riff_body.append(hdrl);
  riff_body.append(list("movi", movi));
  riff_body.append(chunk("idx1", idx));
  QFile f(path);
  return f.open(QIODevice::WriteOnly) && f.write(chunk("RIFF", riff_body)) > 0;
}

}  // namespace atelier::test
