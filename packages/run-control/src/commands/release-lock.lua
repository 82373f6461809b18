-- Lets go of a lock (RescoreProgressStore.withRecordLock), only if the caller still holds it:
-- compare and delete in one step, so a lock that expired and was taken by another stays theirs.
-- KEYS[1] the lock. ARGV[1] the caller's token.
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
