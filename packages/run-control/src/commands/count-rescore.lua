-- Counts one run's outcome in a re-score's progress, once per run (issue 19).
-- KEYS[1] the re-score's hash, KEYS[2] the set of runs counted so far, KEYS[3] the runs a
-- re-score is pending for (retention keeps them): the run leaves it once counted.
-- ARGV[1] the run's id, ARGV[2] its outcome's field, ARGV[3] the keys' time to live (seconds).
-- A redelivered job (its worker died after counting) finds its run in the set: nothing changes.
redis.call('SREM', KEYS[3], ARGV[1])
if redis.call('SADD', KEYS[2], ARGV[1]) == 0 then
  return 0
end
redis.call('HINCRBY', KEYS[1], ARGV[2], 1)
redis.call('EXPIRE', KEYS[1], ARGV[3])
redis.call('EXPIRE', KEYS[2], ARGV[3])
return 1
