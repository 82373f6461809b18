-- Selects a run of a model for a benchmark's private board, within the model's limit, in one
-- step, so two API replicas racing for a model's last place cannot both take it.
-- KEYS[1] the model's selected runs, KEYS[2] the benchmark's selected runs.
-- ARGV[1] the run id, ARGV[2] how many runs a model may have selected.
-- Returns {1} (selected, or already was) or {0, {the model's selected runs}} (over the limit).
if redis.call('SISMEMBER', KEYS[1], ARGV[1]) == 1 then
  return {1}
end
if redis.call('SCARD', KEYS[1]) >= tonumber(ARGV[2]) then
  return {0, redis.call('SMEMBERS', KEYS[1])}
end
redis.call('SADD', KEYS[1], ARGV[1])
redis.call('SADD', KEYS[2], ARGV[1])
return {1}
