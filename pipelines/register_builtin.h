// Explicit list of built-in stages (as OBS obs_module_load): fills StageRegistry::global().
#pragma once

namespace atelier {
void registerBuiltinStages();   // idempotent; call once at start-up from any thread before use
}  // namespace atelier
