/* A stand-in for a setuid-root program that runs a command: setuid_exec_helper PROGRAM ARGV...
 * execs PROGRAM with ARGV through execv (a hooked function). Installed setuid root by
 * check_setuid_launch.sh in a private mount namespace only. */
#include <stdio.h>
#include <unistd.h>

int main(int argc, char** argv) {
  if (argc < 3) {
    fprintf(stderr, "usage: setuid_exec_helper PROGRAM ARGV0 [ARG...]\n");
    return 2;
  }
  execv(argv[1], argv + 2);
  perror("setuid_exec_helper: execv");
  return 127;
}
