#include "edit/layout.h"

#include <ATen/ATen.h>
#include <nlohmann/json.hpp>

#include <cmath>

namespace atelier::edit {
namespace {
int64_t snap8(double v) { return static_cast<int64_t>(std::llround(v / 8.0)) * 8; }
}  // namespace

Result<Layout> parseLayout(const std::string& json_text, const std::string& label) {
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(json_text);
  } catch (const std::exception& e) {
    return Status::InvalidArgument(label + ": invalid JSON: " + e.what());
  }
  auto bad = [&](const std::string& m) { return Status::InvalidArgument(label + ": " + m); };
  if (!j.is_object()) { return bad("top level must be an object"); }
  Layout L;
  try {
    if (!j.contains("width") || !j.contains("height")) { return bad("missing \"width\" or \"height\""); }
    L.width = snap8(j.at("width").get<double>());
    L.height = snap8(j.at("height").get<double>());
    if (L.width < 8 || L.height < 8 || L.width > 8192 || L.height > 8192) {
      return bad("width/height must be in [8, 8192]");
    }
    L.prompt = j.value("prompt", std::string());
    L.negative = j.value("negative_prompt", std::string());
    if (j.contains("regions")) {
      if (!j.at("regions").is_array()) { return bad("\"regions\" must be an array"); }
      int idx = 0;
      for (const auto& r : j.at("regions")) {
        const std::string where = "region " + std::to_string(idx++);
        if (!r.is_object() || !r.contains("box") || !r.at("box").is_array() || r.at("box").size() != 4) {
          return bad(where + ": needs \"box\": [x0,y0,x1,y1]");
        }
        LayoutRegion g;
        const auto& b = r.at("box");
        g.x0 = std::max<int64_t>(0, snap8(b[0].get<double>()));
        g.y0 = std::max<int64_t>(0, snap8(b[1].get<double>()));
        g.x1 = std::min<int64_t>(L.width, snap8(b[2].get<double>()));
        g.y1 = std::min<int64_t>(L.height, snap8(b[3].get<double>()));
        if (g.x1 <= g.x0 || g.y1 <= g.y0) { return bad(where + ": box is empty after snapping to multiples of 8"); }
        g.prompt = r.value("prompt", std::string());
        g.image_path = r.value("image", std::string());
        L.regions.push_back(std::move(g));
      }
    }
  } catch (const std::exception& e) {
    return bad(std::string("wrong field type: ") + e.what());
  }
  return L;
}

at::Tensor regionGroups(const Layout& layout, int64_t h, int64_t w) {
  at::Tensor g = at::zeros({h * w}, at::kLong);
  auto acc = g.accessor<int64_t, 1>();
  for (int64_t y = 0; y < h; ++y) {
    const double cy = (y + 0.5) * static_cast<double>(layout.height) / static_cast<double>(h);
    for (int64_t x = 0; x < w; ++x) {
      const double cx = (x + 0.5) * static_cast<double>(layout.width) / static_cast<double>(w);
      for (size_t r = 0; r < layout.regions.size(); ++r) {
        const auto& b = layout.regions[r];
        if (cx >= b.x0 && cx < b.x1 && cy >= b.y0 && cy < b.y1) { acc[y * w + x] = static_cast<int64_t>(r) + 1; }
      }
    }
  }
  return g;
}

}  // namespace atelier::edit
