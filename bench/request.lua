-- One request, sent again and again by wrk (bench/run.py):
--   wrk ... -s bench/request.lua URL -- METHOD BODY ["Name: value" ...]
-- It counts every answer that is not a 200: wrk alone counts a 302 to the login page or a
-- 429 from a rate limit as a success, and the bench would measure the wrong thing.
local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  wrk.method = args[1]
  if args[2] ~= "" then
    wrk.body = args[2]
  end
  for i = 3, #args do
    local name, value = args[i]:match("^([^:]+):%s*(.*)$")
    wrk.headers[name] = value
  end
  unexpected = 0
end

function response(status, headers, body)
  if status ~= 200 then
    unexpected = unexpected + 1
  end
end

function done(summary, latency, requests)
  local total = 0
  for _, thread in ipairs(threads) do
    total = total + thread:get("unexpected")
  end
  local e = summary.errors
  io.write(string.format(
    "BENCH requests=%d duration_us=%d p50_us=%d p99_us=%d unexpected=%d socket_errors=%d\n",
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    total, e.connect + e.read + e.write + e.timeout
  ))
end
