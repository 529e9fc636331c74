#pragma once

#include "netadmit/rules/rule.h"

namespace netadmit {

// RestrictNamespacePeers: peers that select namespaces name them, and only allowed ones.
RuleKind RestrictNamespacePeersKind();

}  // namespace netadmit
