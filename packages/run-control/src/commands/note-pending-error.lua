-- Notes why a pending outcome could not be written yet (PendingOutcomes.noteError), only while it
-- is still pending: a note must not bring back an outcome already written.
-- KEYS[1] the outcome's hash. ARGV[1] the error.
if redis.call('EXISTS', KEYS[1]) == 1 then redis.call('HSET', KEYS[1], 'error', ARGV[1]) end
return 0
