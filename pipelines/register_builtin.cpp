// Explicit list of built-in stages. Each module exposes one register function; modules absent from the
// build (e.g. no OpenCV) are skipped at compile time.
#include "register_builtin.h"

#include <mutex>

namespace atelier {
#ifdef ATELIER_HAVE_SD
void registerSdStages();
#endif
#ifdef ATELIER_HAVE_SR
void registerSrStages();
#endif
#ifdef ATELIER_HAVE_CTTA
void registerCttaStages();
#endif
#ifdef ATELIER_HAVE_EDIT
void registerEditStages();
#endif

void registerBuiltinStages() {
  static std::once_flag once;
  std::call_once(once, [] {
#ifdef ATELIER_HAVE_SD
    registerSdStages();
#endif
#ifdef ATELIER_HAVE_SR
    registerSrStages();
#endif
#ifdef ATELIER_HAVE_CTTA
    registerCttaStages();
#endif
#ifdef ATELIER_HAVE_EDIT
    registerEditStages();
#endif
  });
}
}  // namespace atelier
