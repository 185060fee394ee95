-- wrk script of the service benchmark (service_load.py runs it).
--
-- BENCH_METHOD=POST sends a create body with a title unique to each request
-- (one book per request), with BENCH_IDEMPOTENT=1 also an Idempotency-Key header
-- unique to each request; anything else sends plain GETs to the URL given.
-- `done` prints one line "BENCH_JSON {...}" with exact percentiles from wrk's
-- latency histogram (microseconds), which service_load.py parses instead of
-- wrk's human-readable summary.

local post = os.getenv("BENCH_METHOD") == "POST"
local counter = 0
local tag = tostring(os.time())

local idempotent = os.getenv("BENCH_IDEMPOTENT") == "1"

if post then
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/json"
  request = function()
    counter = counter + 1
    local body = string.format('{"title":"Bench book %s-%d","author":"Bench Author","copies":3}', tag, counter)
    if idempotent then
      -- A new key per request: every create is a first use of its key (claim, execute, store the result).
      wrk.headers["Idempotency-Key"] = string.format("bench-%s-%d-%d", tag, math.random(1, 1000000000), counter)
    end
    return wrk.format(nil, nil, nil, body)
  end
end

done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'BENCH_JSON {"requests":%d,"duration_us":%d,"p50_us":%d,"p99_us":%d,"mean_us":%.1f,"max_us":%d,' ..
    '"status_errors":%d,"connect_errors":%d,"read_errors":%d,"write_errors":%d,"timeouts":%d}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99), latency.mean, latency.max,
    e.status, e.connect, e.read, e.write, e.timeout))
end
