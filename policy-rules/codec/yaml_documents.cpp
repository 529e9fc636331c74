#include "codec/yaml_documents.h"

#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/parser.h>

#include <sstream>

namespace netadmit {

namespace {

// yaml-cpp 0.7 never gets past a token that cannot start a node at the top level (the ',' of
// "{a: b},"): LoadAll then yields empty documents forever. A first pass over the parser's events
// finds the spot, where a document starts at the very place the one before it did.
class StuckParserCheck final : public YAML::EventHandler {
 public:
  void OnDocumentStart(const YAML::Mark& mark) override {
    if (started_ && mark.pos == last_start_) {
      throw YAML::ParserException(mark, "unexpected token after the end of a node");
    }
    started_ = true;
    last_start_ = mark.pos;
  }
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark& /*mark*/, YAML::anchor_t /*anchor*/) override {}
  void OnAlias(const YAML::Mark& /*mark*/, YAML::anchor_t /*anchor*/) override {}
  void OnScalar(const YAML::Mark& /*mark*/, const std::string& /*tag*/, YAML::anchor_t /*anchor*/,
                const std::string& /*value*/) override {}
  void OnSequenceStart(const YAML::Mark& /*mark*/, const std::string& /*tag*/,
                       YAML::anchor_t /*anchor*/, YAML::EmitterStyle::value /*style*/) override {}
  void OnSequenceEnd() override {}
  void OnMapStart(const YAML::Mark& /*mark*/, const std::string& /*tag*/, YAML::anchor_t /*anchor*/,
                  YAML::EmitterStyle::value /*style*/) override {}
  void OnMapEnd() override {}

 private:
  bool started_ = false;
  int last_start_ = 0;
};

}  // namespace

std::vector<YAML::Node> LoadAllDocuments(const std::string& text) {
  {
    std::istringstream input(text);
    YAML::Parser parser(input);
    StuckParserCheck check;
    while (parser.HandleNextDocument(check)) {
    }
  }
  return YAML::LoadAll(text);
}

}  // namespace netadmit
