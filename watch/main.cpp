#include "watcher.h"

int main(int argc, char** argv) {
  return vq::watch::run_watcher(argc, argv);
}
