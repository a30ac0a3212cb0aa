#include "commands.h"

int main(int argc, char** argv) {
  return vq::admin::admin_main(argc, argv);
}
