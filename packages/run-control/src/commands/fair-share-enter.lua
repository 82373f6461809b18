-- A run joins its submitter's waiting runs in a queue (FairShare.enter): its rank is how many
-- of the submitter's runs then wait there, itself included, so the submitter's n-th waiting run
-- gets BullMQ priority ~n and one submitter's sweep cannot hold back another's first run.
-- KEYS[1] the submitter's waiting runs in this queue (sorted set: run id by when it joined)
-- KEYS[2] the run's entry (which sorted set it is in, for the worker that takes it)
-- KEYS[3] the queue's BullMQ `prioritized` sorted set, KEYS[4] its `delayed` one
-- ARGV[1] run id, ARGV[2] now (ms), ARGV[3] grace (ms), ARGV[4] how long the entries live (s),
-- ARGV[5] the entry key's prefix (ARGV[5] .. id is an entry), ARGV[6] how many of the oldest to look at
local now = tonumber(ARGV[2])
-- Runs normally leave when a worker takes them (fair-share-leave.lua). One that left otherwise
-- (removed from the dashboard, a worker that never told) would count for good: look at a few of
-- the oldest each time and drop those no longer waiting. A young one may not be added yet: the
-- API joins before it adds the job.
local oldest = redis.call('ZRANGE', KEYS[1], 0, tonumber(ARGV[6]) - 1, 'WITHSCORES')
for i = 1, #oldest, 2 do
  local id = oldest[i]
  if tonumber(oldest[i + 1]) < now - tonumber(ARGV[3]) and not redis.call('ZSCORE', KEYS[3], id) and not redis.call('ZSCORE', KEYS[4], id) then
    redis.call('ZREM', KEYS[1], id)
    redis.call('DEL', ARGV[5] .. id)
  end
end
redis.call('ZADD', KEYS[1], 'NX', now, ARGV[1])
redis.call('EXPIRE', KEYS[1], tonumber(ARGV[4]))
redis.call('SET', KEYS[2], KEYS[1], 'EX', tonumber(ARGV[4]))
return redis.call('ZCARD', KEYS[1])
