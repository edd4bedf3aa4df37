/**
 * The admission Lua script, as a string so that both the bundled Lambdas and
 * the Node processes load it without a file next to them.
 */
export const ADMISSION_SCRIPT = `
-- Admission of one job for one tenant, atomically: a token bucket (rate and
-- burst) and a cap on jobs in flight. Redis server time, so every caller
-- shares one clock. O(log n) in the tenant's in-flight jobs, no round trips.
--
-- KEYS[1] bucket hash {tokens, ts}      KEYS[2] in-flight zset jobId -> expiry (ms)
-- ARGV: rate/s, burst, max in flight, job id, in-flight expiry (ms), track ('1': count the job in flight)
-- Returns {decision, remaining tokens, ms until (reset | retry), now ms, in flight, tokens left (exact, as a string)}
-- decision: 1 admitted, 0 rate limited, 2 too many jobs in flight.
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local rate = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local max_inflight = tonumber(ARGV[3])
local job_id = ARGV[4]
local inflight_ttl = tonumber(ARGV[5])
local track = ARGV[6] == '1'

-- Jobs whose worker never reported back stop counting after their expiry.
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now)
local inflight = redis.call('ZCARD', KEYS[2])

local state = redis.call('HMGET', KEYS[1], 'tokens', 'ts')
local tokens = tonumber(state[1])
local ts = tonumber(state[2])
if tokens == nil or ts == nil then
  tokens = burst
  ts = now
end
tokens = math.min(burst, tokens + math.max(0, now - ts) * rate / 1000)

if track and inflight >= max_inflight then
  return {2, math.floor(tokens), 1000, now, inflight, tostring(tokens)}
end
if tokens < 1 then
  redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'ts', now)
  return {0, 0, math.ceil((1 - tokens) * 1000 / rate), now, inflight, tostring(tokens)}
end

tokens = tokens - 1
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'ts', now)
redis.call('PEXPIRE', KEYS[1], math.ceil(burst * 1000 / rate) + 60000)
if track then
  redis.call('ZADD', KEYS[2], now + inflight_ttl, job_id)
  redis.call('PEXPIRE', KEYS[2], inflight_ttl)
  inflight = inflight + 1
end
return {1, math.floor(tokens), math.ceil((burst - tokens) * 1000 / rate), now, inflight, tostring(tokens)}
`;
