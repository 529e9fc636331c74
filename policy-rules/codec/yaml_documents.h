#pragma once

// Multi-document YAML loading shared by the rule-set loader and the manifest reader.

#include <yaml-cpp/yaml.h>

#include <string>
#include <vector>

namespace netadmit {

// YAML::LoadAll, refusing the input that yaml-cpp 0.7 would loop on forever. Throws
// YAML::Exception (with a mark) on invalid YAML, as LoadAll does.
std::vector<YAML::Node> LoadAllDocuments(const std::string& text);

}  // namespace netadmit
