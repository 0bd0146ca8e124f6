-- Replays a list of requests, one per line: METHOD <TAB> PATH <TAB> AUTHORIZATION <TAB> BODY
-- (the file named by the REQUESTS environment variable), cycling through it, and reports
-- the run as one JSON line prefixed "BENCH_JSON " (latencies in microseconds).
local requests = {}
local counter = 0

local function split(line)
  local fields = {}
  for field in (line .. "\t"):gmatch("([^\t]*)\t") do
    table.insert(fields, field)
  end
  return fields
end

init = function(args)
  local path = os.getenv("REQUESTS")
  for line in io.lines(path) do
    local f = split(line)
    local headers = { ["Accept"] = "application/json", ["Authorization"] = f[3] }
    local body = nil
    if f[4] ~= nil and f[4] ~= "" then
      body = f[4]
      headers["Content-Type"] = "application/json"
    end
    table.insert(requests, wrk.format(f[1], f[2], headers, body))
  end
  counter = math.random(#requests) - 1
end

request = function()
  counter = counter % #requests + 1
  return requests[counter]
end

done = function(summary, latency, requests_)
  local e = summary.errors
  io.write(string.format(
    'BENCH_JSON {"requests": %d, "duration_us": %d, "bytes": %d, ' ..
    '"errors": {"connect": %d, "read": %d, "write": %d, "status": %d, "timeout": %d}, ' ..
    '"latency_us": {"mean": %.1f, "p50": %d, "p90": %d, "p95": %d, "p99": %d, "max": %d}}\n',
    summary.requests, summary.duration, summary.bytes,
    e.connect, e.read, e.write, e.status, e.timeout,
    latency.mean, latency:percentile(50), latency:percentile(90), latency:percentile(95),
    latency:percentile(99), latency.max))
end
