// The values come from CMake as definitions on this file alone (server/CMakeLists.txt), so that
// a new commit recompiles one file.

#include "cli/build_info.h"

namespace netadmit::cli {

namespace {

constexpr std::string_view kBuildType = NETADMIT_BUILD_TYPE;

}  // namespace

const BuildInfo& GetBuildInfo() {
  static const BuildInfo info{NETADMIT_VERSION, NETADMIT_GIT_COMMIT,
                              kBuildType.empty() ? "None" : kBuildType};
  return info;
}

}  // namespace netadmit::cli
