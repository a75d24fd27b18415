-- wrk script: each request asks for a uid picked at random from a file (one uid a line).
-- Usage: wrk ... -s random_uids.lua URL -- UIDS_FILE PATH_PREFIX
local uids, prefix, threads = {}, "/api/orders/", 0

function setup(thread)
  threads = threads + 1
  thread:set("id", threads)
end

function init(args)
  for line in io.lines(args[1]) do uids[#uids + 1] = line end
  prefix = args[2] or prefix
  math.randomseed(os.time() * 100 + id)
end

function request()
  return wrk.format("GET", prefix .. uids[math.random(#uids)])
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'WRK_JSON {"requests":%d,"duration_us":%d,"p50_us":%d,"p99_us":%d,"max_us":%d,' ..
    '"status_errors":%d,"socket_errors":%d}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99), latency.max,
    e.status, e.connect + e.read + e.write + e.timeout))
end
