// Internal helpers shared by the safetensors reader and writer.
#pragma once

#include <c10/core/ScalarType.h>

#include "atelier/safetensors.h"

namespace atelier {
at::ScalarType stDTypeToScalar(StDType t);            // F8 types map to kByte (raw)
Result<StDType> scalarToStDType(at::ScalarType s);    // Unsupported for types safetensors lacks
}  // namespace atelier
