-- Lets go of an idempotency key's claim (RunControl.releaseIdempotencyKey), only if it is the
-- caller's own: compare and delete in one step.
-- KEYS[1] the key's claim. ARGV[1] the run id the caller claimed it for.
local v = redis.call('GET', KEYS[1])
if v and cjson.decode(v).runId == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
