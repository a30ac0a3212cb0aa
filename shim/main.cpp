#include "shim.h"

int main(int argc, char** argv) {
  return vq::run_shim(argc, argv);
}
