/* A control for check_no_network_code.sh: a program that does link hiredis, which the check
   must reject. */
#include <hiredis/hiredis.h>

int main(void) {
  redisContext* context = redisConnect("127.0.0.1", 1);
  if (context != NULL) redisFree(context);
  return 0;
}
