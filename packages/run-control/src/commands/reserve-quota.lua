-- Takes a place for a benchmark run if the caller's quotas allow it (QuotaLedger.reserve).
-- Both checks and both additions in one step, so replicas racing for a caller's last slot
-- cannot both take it. KEYS: the caller's submissions of the last 24 h, their live runs.
-- ARGV: now, window, perDay (0: none), concurrent (0: none), run id, stale-slot age.
-- Returns {0, 0} taken, {1, ms until a place in the day frees}, or {2, 0} no running slot.
local now = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
local perDay = tonumber(ARGV[3])
local concurrent = tonumber(ARGV[4])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now - tonumber(ARGV[6]))
if perDay > 0 and redis.call('ZCARD', KEYS[1]) >= perDay then
  local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
  return {1, tonumber(oldest[2]) + window - now}
end
if concurrent > 0 and redis.call('ZCARD', KEYS[2]) >= concurrent then
  return {2, 0}
end
redis.call('ZADD', KEYS[1], now, ARGV[5])
redis.call('ZADD', KEYS[2], now, ARGV[5])
redis.call('PEXPIRE', KEYS[1], window)
redis.call('PEXPIRE', KEYS[2], tonumber(ARGV[6]))
return {0, 0}
