// EngineSpec (JS) -> SpecS. Throws SpecError naming the bad field's path.
#pragma once

#include <napi.h>

#include "engine.h"

namespace optiflow {

SpecS parseSpec(const Napi::Value &spec);

}  // namespace optiflow
