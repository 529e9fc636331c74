#include "netadmit/catalog.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>

#include "registration.h"

namespace netadmit {

Status RuleCatalog::Add(RuleKind kind) {
  if (kind.name.empty() || kind.compile == nullptr) {
    return Error{"", 0, 0, "", "a rule kind needs a name and a compile function"};
  }
  if (Find(kind.name) != nullptr) {
    return Error{"", 0, 0, "", "rule kind \"" + std::string(kind.name) + "\" is registered twice"};
  }
  kinds_.push_back(std::move(kind));
  return Ok{};
}

const RuleKind* RuleCatalog::Find(std::string_view name) const {
  auto found = std::find_if(kinds_.begin(), kinds_.end(),
                            [&](const RuleKind& kind) { return kind.name == name; });
  return found == kinds_.end() ? nullptr : &*found;
}

const RuleCatalog& BuiltinCatalog() {
  // Built once, on first use, from the one explicit list; never changed afterwards.
  static const RuleCatalog catalog = [] {
    RuleCatalog built;
    RegisterBuiltinKinds(built);
    return built;
  }();
  return catalog;
}

}  // namespace netadmit
