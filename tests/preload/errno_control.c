/* A careless preload library: its constructor leaves errno set, as libvq-preload.so must not. */
#include <errno.h>

__attribute__((constructor)) static void careless(void) { errno = EIO; }
