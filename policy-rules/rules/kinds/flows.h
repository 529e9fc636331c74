#pragma once

#include "netadmit/rules/rule.h"

namespace netadmit {

// Flows: flow requirements ("nothing in dev reaches prod", "every pod reaches DNS") enforced at
// admission: a change that opens a forbidden flow or closes a required one is refused.
RuleKind FlowsKind();

}  // namespace netadmit
