/* The floor of a handoff: sleep in poll() on a pidfd of the previous run (no queue, no lock, no
 * table), then exec the program. Usage: pidfd_waiter PID PROGRAM [ARG...]. What is left of a
 * handoff here is the kernel's wake-up, the scheduler and the exec of PROGRAM. */
#include <poll.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <unistd.h>

int main(int argc, char** argv) {
  if (argc < 3) return 2;
  int fd = (int)syscall(SYS_pidfd_open, atoi(argv[1]), 0);
  if (fd >= 0) {
    struct pollfd ready = {fd, POLLIN, 0};
    poll(&ready, 1, -1);
    close(fd);
  }
  execv(argv[2], argv + 2);
  return 127;
}
