-- A run left the queue (FairShare.left): a worker took it, or its add failed. It no longer
-- counts among its submitter's waiting runs. Idempotent: a second delivery finds nothing.
-- KEYS[1] the run's entry (names its submitter's sorted set). ARGV[1] the run id.
local set = redis.call('GET', KEYS[1])
if not set then return 0 end
redis.call('DEL', KEYS[1])
return redis.call('ZREM', set, ARGV[1])
