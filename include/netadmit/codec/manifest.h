#pragma once

// Reads manifests the way `kubectl apply -f` takes them: multi-document YAML or JSON, `List`
// kinds expanded into their items. Each object is converted to JSON so that one decoder
// (decode.h) serves both the webhook and `netadmit check`.

#include <rapidjson/document.h>

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "netadmit/model/result.h"

namespace netadmit {

struct ManifestObject {
  std::string file;                           // path, or "-" for standard input
  int line = 0;                               // 1-based line where the object starts
  int document = 0;                           // 1-based document index within the file
  std::shared_ptr<rapidjson::Document> json;  // owns the value
  const rapidjson::Value* object = nullptr;   // the object (an item of a List, or the document)
};

// Parses one source text. Empty documents are skipped. Fails naming file, line and column on a
// YAML syntax error, and on a document that is not a map with apiVersion and kind.
Result<std::vector<ManifestObject>> ParseManifests(const std::string& file,
                                                   const std::string& text);

// The items of a LIST response of the Kubernetes API (JSON, items without kind and apiVersion),
// as manifests of kind `kind` and apiVersion `api_version`; each is named `source` with its index
// as the document. Fails naming `source` on a body that is not such a list.
Result<std::vector<ManifestObject>> ManifestsOfList(const std::string& source,
                                                    std::string_view body,
                                                    std::string_view api_version,
                                                    std::string_view kind);

}  // namespace netadmit
