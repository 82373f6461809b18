-- Keeps a host's lease alive (RunOwnership.renewLease).
-- KEYS[1] the host's lease. ARGV[1] its length in ms, ARGV[2] a new epoch, used only if the lease
-- had lapsed (or never was): every worker of a live host keeps the same epoch.
if redis.call('PEXPIRE', KEYS[1], ARGV[1]) == 1 then return redis.call('GET', KEYS[1]) end
redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[1])
return ARGV[2]
