#include "rules/kinds/lifecycle.h"

#include "netadmit/cluster/cluster.h"

namespace netadmit {

bool NamespaceBeingEmptied(const Object& object, const CheckContext& context) {
  if (context.user != nullptr && context.user->username == kNamespaceController) {
    return true;
  }
  if (context.cluster == nullptr) {
    return false;
  }
  const auto known = context.cluster->Namespace(object.metadata.namespace_name);
  return known != nullptr && known->terminating;
}

}  // namespace netadmit
