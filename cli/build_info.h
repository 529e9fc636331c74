#pragma once

// What this executable is: the project version, the git commit it was built from and the CMake
// build type, fixed when the build was configured.

#include <string_view>

namespace netadmit::cli {

struct BuildInfo {
  std::string_view version;     // "0.1.0"
  std::string_view commit;      // abbreviated commit id, or "unknown" outside a git checkout
  std::string_view build_type;  // "Release", "Debug", ...; "None" when none was chosen
};

const BuildInfo& GetBuildInfo();

}  // namespace netadmit::cli
