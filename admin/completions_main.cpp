#include "completion_scripts.h"

int main(int argc, char** argv) {
  return vq::admin::completions_main(argc, argv);
}
