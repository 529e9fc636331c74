#pragma once

// The one explicit list of built-in rule kinds, used by BuiltinCatalog(). Kinds are listed by
// hand rather than registering themselves from static initializers, which static linking drops.

#include "netadmit/rules/catalog.h"

namespace netadmit {

// Adds every built-in kind to `catalog`. A kind that cannot be added (a duplicate name, no
// compile function) is a programming error: it aborts with a message naming the kind.
void RegisterBuiltinKinds(RuleCatalog& catalog);

}  // namespace netadmit
