-- Runs join their submitters' waiting runs (FairShare.enter): each run's rank is how many of its
-- submitter's runs then wait in its queue, itself included, so the submitter's n-th waiting run
-- gets BullMQ priority ~n and one submitter's sweep cannot hold back another's first run.
-- Several runs in one call (the API batches concurrent submissions), taken in order exactly as
-- one call each would take them: two runs of one submitter get consecutive ranks.
-- Four KEYS per run i (k = 4 * (i - 1)):
--   KEYS[k+1] the submitter's waiting runs in the run's queue (sorted set: run id by when it joined)
--   KEYS[k+2] the run's entry (which sorted set it is in, for the worker that takes it)
--   KEYS[k+3] the queue's BullMQ `prioritized` sorted set, KEYS[k+4] its `delayed` one
-- ARGV[1] now (ms), ARGV[2] grace (ms), ARGV[3] how long the entries live (s), ARGV[4] the entry
-- key's prefix (ARGV[4] .. id is an entry), ARGV[5] how many of the oldest to look at,
-- ARGV[5+i] run i's id. Returns the ranks, in the runs' order.
local now = tonumber(ARGV[1])
local joinedBefore = now - tonumber(ARGV[2])
local ttl = tonumber(ARGV[3])
local checked = tonumber(ARGV[5])
local ranks = {}
for i = 1, #ARGV - 5 do
  local k = 4 * (i - 1)
  local set, entry, prioritized, delayed = KEYS[k + 1], KEYS[k + 2], KEYS[k + 3], KEYS[k + 4]
  -- Runs normally leave when a worker takes them (fair-share-leave.lua). One that left otherwise
  -- (removed from the dashboard, a worker that never told) would count for good: look at a few of
  -- the oldest each time and drop those no longer waiting. A young one may not be added yet: the
  -- API joins before it adds the job.
  local oldest = redis.call('ZRANGE', set, 0, checked - 1, 'WITHSCORES')
  for j = 1, #oldest, 2 do
    local id = oldest[j]
    if tonumber(oldest[j + 1]) < joinedBefore and not redis.call('ZSCORE', prioritized, id) and not redis.call('ZSCORE', delayed, id) then
      redis.call('ZREM', set, id)
      redis.call('DEL', ARGV[4] .. id)
    end
  end
  redis.call('ZADD', set, 'NX', now, ARGV[5 + i])
  redis.call('EXPIRE', set, ttl)
  redis.call('SET', entry, set, 'EX', ttl)
  ranks[i] = redis.call('ZCARD', set)
end
return ranks
