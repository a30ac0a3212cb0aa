-- ARGV[3]: the new limit. More room admits waiters at once.
current_epoch()
reclaim()
redis.call('SET', key('limit'), tonumber(ARGV[3]))
admit()
return tonumber(ARGV[3])
