/* A control the hygiene check must reject: the nine hooks and one more exported symbol. */
#include "hygiene_control_hooks.h"

CONTROL_EXPORT int not_a_hook(void) {
  return 1;
}
