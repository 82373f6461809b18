-- Asks for a run for a host (RunOwnership.claim): compare-and-set, so a takeover happens only if
-- the owner is still the one whose lease the caller checked.
-- KEYS[1] the run's owner hash, KEYS[2] the lease of the host the caller read as owner,
-- KEYS[3] this host's lease. ARGV[1] this host, ARGV[2] the host the caller read (or ''),
-- ARGV[3] the owner hash's TTL.
-- The owner hash keeps the epoch of the owning host's lease (a new one each time a lapsed lease
-- is taken up again): a host that comes back after its lease lapsed does not own its old runs
-- any more, even if no other host took them yet. It takes them over like any other host, so a
-- container from before the loss (whose end may be the loss itself: exit 255, 137, 143) is
-- removed, never adopted, and the run starts again.
local host = redis.call('HGET', KEYS[1], 'host')
local fence = tonumber(redis.call('HGET', KEYS[1], 'fence') or '0')
local mine = redis.call('GET', KEYS[3]) or ''
if not host then
  redis.call('HSET', KEYS[1], 'host', ARGV[1], 'fence', 1, 'epoch', mine)
  redis.call('EXPIRE', KEYS[1], ARGV[3])
  return {'new', ARGV[1], 1, 0}
end
if host == ARGV[1] then
  local epoch = redis.call('HGET', KEYS[1], 'epoch')
  if not epoch or epoch == mine then return {'mine', host, fence, 0} end
  redis.call('HSET', KEYS[1], 'fence', fence + 1, 'epoch', mine)
  redis.call('EXPIRE', KEYS[1], ARGV[3])
  return {'taken', ARGV[1], fence + 1, 0}
end
if host ~= ARGV[2] then return {'changed', host, fence, 0} end
local left = redis.call('PTTL', KEYS[2])
if left > 0 or left == -1 then return {'elsewhere', host, fence, left} end
redis.call('HSET', KEYS[1], 'host', ARGV[1], 'fence', fence + 1, 'epoch', mine)
redis.call('EXPIRE', KEYS[1], ARGV[3])
return {'taken', ARGV[1], fence + 1, 0}
