// Dark theme suited to image work (neutral greys so colours are judged fairly). Thread-safety: GUI thread only.
#pragma once

class QApplication;

namespace atelier::panels {
void applyDarkTheme(QApplication& app);   // Fusion style + dark neutral palette
}  // namespace atelier::panels
